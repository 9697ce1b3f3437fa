"""Tests of the `stepthunk` CLI that start what a user's run does: the embedded engine (moto),
a process of its own, a socket (the CLI's tests that start none of them are in tests/unit)."""
