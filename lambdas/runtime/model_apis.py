"""Where the third-party HTTP APIs nodes call are (the model providers', Twilio's): their
public addresses, or what a deployment sets.

A deployment may send a node's requests elsewhere (a gateway of its own, a regional endpoint,
or a fake on this machine in tests); the node still sends the service's own request to it,
with the organization's credentials for that service.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

# The providers' public APIs, as their own clients name them: Anthropic's paths start with
# `/v1/` below its base URL, OpenAI's base URL holds the `/v1`.
ANTHROPIC_API = "https://api.anthropic.com"
OPENAI_API = "https://api.openai.com/v1"
# Twilio's REST API: the Messages resource is at `/2010-04-01/Accounts/...` below it.
TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True)
class ModelApis:
    """The base URL of each service's API: the providers' the LLM nodes call, Twilio's the
    SMS node calls."""

    anthropic: str = ANTHROPIC_API
    openai: str = OPENAI_API
    twilio: str = TWILIO_API


# What a deployment that sets nothing uses.
PUBLIC_MODEL_APIS = ModelApis()


def base_url_fault(url: str) -> str | None:
    """What is wrong with `url` as a service's base URL (http or https, a host, no query or
    fragment), or None."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return f"'{url}' is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{url}' is not an http or https URL with a host"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"'{url}' has a query, a fragment or credentials: give the base URL alone"
    return None
