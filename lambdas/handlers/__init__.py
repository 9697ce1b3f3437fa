"""One module per Lambda: a thin `handler(event, context)` over a plain function and its deps."""
