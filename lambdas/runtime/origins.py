"""Web origins a browser page may call the APIs from (CORS): what one looks like."""

from __future__ import annotations

from urllib.parse import urlsplit

# Every origin: for a public API whose requests carry their own key.
ANY_ORIGIN = "*"
# What a browser may send across origins: the key, JSON bodies, a start's idempotency key.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
ALLOWED_METHODS = ("GET", "POST", "PUT", "DELETE")
# How long a browser may reuse a preflight's answer, in seconds.
PREFLIGHT_MAX_AGE = 600


def origin_fault(origin: str) -> str | None:
    """What is wrong with `origin` as a CORS origin (`scheme://host[:port]`, or `*`), or None."""
    if origin == ANY_ORIGIN:
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return f"'{origin}' is not an origin (scheme://host[:port])"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{origin}' is not an origin: it needs http:// or https:// and a host"
    if parts.path or parts.query or parts.fragment or parts.username or origin.endswith("/"):
        return f"'{origin}' is not an origin: only scheme://host[:port], no path"
    if port == 0:
        return f"'{origin}' is not an origin: its port must be 1-65535"
    return None
