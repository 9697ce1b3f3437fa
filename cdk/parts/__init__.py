"""The stack's constructs, one per concern (named `parts` so as not to shadow `constructs`)."""
