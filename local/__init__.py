"""Running stepthunk on a laptop: the in-process engine and the `stepthunk` CLI."""
