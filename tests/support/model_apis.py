"""Local fakes of Anthropic's Messages API and OpenAI's Chat Completions API on 127.0.0.1.

Each checks what the real API checks and answers as the providers document, errors included:
the path and method, the key (`x-api-key` for Anthropic, `Authorization: Bearer` for OpenAI:
401 `authentication_error` / `invalid_api_key`), Anthropic's `anthropic-version` header (400),
a known model id (404 `not_found_error` / `model_not_found`), the body's required fields
(400 `invalid_request_error`), OpenAI's refusal of `max_tokens` for GPT-5 models, and a strict
structured-output schema's rules (400, with OpenAI's wording). A valid request is answered
with the documented body: a text made from the prompt (or `text`), or for structured output a
value of the schema, and the token counts of `usage` (or `tokens`).

`rate_limited(n, seconds)` makes the next n valid requests answer 429 with `Retry-After`.
Each fake keeps the `time.monotonic()` instant it received each request (`calls`), so a test
shows a wait from the server's side. Start both with `model_api_fakes()`.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lambdas.runtime.model_apis import ModelApis
from tests.support.http_server import LocalServer, RecordedRequest, Reply, serving

ANTHROPIC_VERSIONS = ("2023-01-01", "2023-06-01")
ANTHROPIC_MODELS = (
    "claude-3-opus-20240229",
    "claude-3-5-haiku-20241022",
    "claude-3-5-sonnet-20241022",
    "claude-3-7-sonnet-20250219",
    "claude-opus-4-20250514",
    "claude-opus-4-1-20250805",
    "claude-sonnet-4-20250514",
)
OPENAI_MODELS = ("gpt-4.1", "gpt-5", "gpt-5-mini", "gpt-5-nano")
FORMAT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Call:
    at: float  # time.monotonic() when the fake received the request
    request: RecordedRequest

    def json(self) -> Any:
        return self.request.json()


@dataclass
class FakeApi:
    """What both fakes share: the key they accept, what they received, what they answer."""

    key: str = "test-key-0123456789"
    calls: list[Call] = field(default_factory=list)
    queued: list[Reply] = field(default_factory=list)
    text: str | None = None  # the answer's text (None: one made from the prompt)
    tokens: tuple[int, int] | None = None  # input and output tokens (None: words counted)
    server: LocalServer | None = None

    def reset(self, key: str = "test-key-0123456789") -> None:
        self.key, self.text, self.tokens = key, None, None
        self.calls.clear()
        self.queued.clear()

    def rate_limited(self, times: int, retry_after: str) -> None:
        self.queued += [self.too_many(retry_after)] * times

    def too_many(self, retry_after: str) -> Reply:
        raise NotImplementedError

    @property
    def last(self) -> Call:
        assert self.calls, "the fake received no request"
        return self.calls[-1]

    def __call__(self, request: RecordedRequest) -> Reply:
        self.calls.append(Call(time.monotonic(), request))
        refused = self.refusal(request)
        if refused is not None:
            return refused
        if self.queued:
            return self.queued.pop(0)
        return self.answer(request.json())

    def refusal(self, request: RecordedRequest) -> Reply | None:
        raise NotImplementedError

    def answer(self, body: dict[str, Any]) -> Reply:
        raise NotImplementedError

    def counted(self, prompt: str, answer: str) -> tuple[int, int]:
        return self.tokens or (len(prompt.split()), len(answer.split()))


def _json(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(body).encode(), "application/json", headers)


class FakeAnthropic(FakeApi):
    """Anthropic's Messages API: POST /v1/messages."""

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return self.server.url("")

    @staticmethod
    def error(status: int, kind: str, message: str, *extra: tuple[str, str]) -> Reply:
        body = {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": f"req_{uuid.uuid4().hex[:24]}",
        }
        return _json(status, body, extra)

    def too_many(self, retry_after: str) -> Reply:
        return self.error(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests "
            "per minute. Please try again later.",
            ("retry-after", retry_after),
        )

    def refusal(self, request: RecordedRequest) -> Reply | None:
        if request.path != "/v1/messages":
            return self.error(404, "not_found_error", "Not Found")
        if request.method != "POST":
            return self.error(405, "invalid_request_error", "Method Not Allowed")
        key = request.headers.get("x-api-key")
        if key is None:
            return self.error(401, "authentication_error", "x-api-key header is required")
        if key != self.key:
            return self.error(401, "authentication_error", "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if version is None:
            return self.error(400, "invalid_request_error", "anthropic-version: header is required")
        if version not in ANTHROPIC_VERSIONS:
            message = f"anthropic-version: invalid version {version!r}"
            return self.error(400, "invalid_request_error", message)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return self.error(400, "invalid_request_error", "Content-Type must be application/json")
        try:
            body = request.json()
        except ValueError:
            return self.error(400, "invalid_request_error", "The request body is not valid JSON.")
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return self.error(400, "invalid_request_error", f"{name}: Field required")
        if body["model"] not in ANTHROPIC_MODELS:
            return self.error(404, "not_found_error", f"model: {body['model']}")
        tokens = body["max_tokens"]
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
            message = "max_tokens: Input should be a valid integer greater than 0"
            return self.error(400, "invalid_request_error", message)
        messages = body["messages"]
        if not isinstance(messages, list) or not messages:
            message = "messages: at least one message is required"
            return self.error(400, "invalid_request_error", message)
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                text = f"messages.{index}.role: Input should be 'user' or 'assistant'"
                return self.error(400, "invalid_request_error", text)
        if "system" in body and not isinstance(body["system"], str | list):
            text = "system: Input should be a valid string or list of text blocks"
            return self.error(400, "invalid_request_error", text)
        return None

    def answer(self, body: dict[str, Any]) -> Reply:
        asked = str(body["messages"][-1]["content"])
        text = self.text if self.text is not None else f"Claude's answer to: {asked}"
        prompt = f"{body.get('system', '')} {asked}"
        input_tokens, output_tokens = self.counted(prompt, text)
        return _json(
            200,
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            },
        )


class FakeOpenAI(FakeApi):
    """OpenAI's Chat Completions API: POST /v1/chat/completions."""

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return self.server.url("/v1")

    @staticmethod
    def error(
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        *extra: tuple[str, str],
    ) -> Reply:
        body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
        return _json(status, body, extra)

    def too_many(self, retry_after: str) -> Reply:
        return self.error(
            429,
            "Rate limit reached for gpt-4.1 in organization org-fake on requests per min "
            "(RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.",
            "requests",
            "rate_limit_exceeded",
            None,
            ("retry-after", retry_after),
        )

    def refusal(self, request: RecordedRequest) -> Reply | None:
        if request.path != "/v1/chat/completions":
            return self.error(404, f"Invalid URL ({request.method} {request.path})")
        if request.method != "POST":
            return self.error(405, f"Invalid method for URL ({request.method} {request.path})")
        authorization = request.headers.get("authorization")
        if authorization is None or not authorization.startswith("Bearer "):
            return self.error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        given = authorization.removeprefix("Bearer ")
        if given != self.key:
            shown = f"{given[:3]}{'*' * 8}{given[-4:]}" if len(given) > 8 else "***"
            return self.error(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        try:
            body = request.json()
        except ValueError:
            return self.error(400, "We could not parse the JSON body of your request.")
        if "model" not in body:
            return self.error(400, "you must provide a model parameter", param="model")
        model = body["model"]
        if model not in OPENAI_MODELS:
            return self.error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self.error(400, "[] is too short - 'messages'", param="messages")
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in (
                "system",
                "developer",
                "user",
                "assistant",
            ):
                return self.error(400, "Invalid value for 'role'.", param="messages")
        if model.startswith("gpt-5") and "max_tokens" in body:
            return self.error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' instead.",
                code="unsupported_parameter",
                param="max_tokens",
            )
        return self._format_refusal(body.get("response_format"))

    def _format_refusal(self, response_format: Any) -> Reply | None:
        if response_format is None:
            return None
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind in ("text", "json_object"):
            return None
        if kind != "json_schema":
            return self.error(
                400,
                f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object', and "
                "'json_schema'.",
                param="response_format.type",
            )
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or "name" not in spec:
            return self.error(
                400, "Missing required parameter: 'response_format.json_schema.name'."
            )
        name = spec["name"]
        if not isinstance(name, str) or not FORMAT_NAME.fullmatch(name):
            return self.error(
                400,
                "Invalid 'response_format.json_schema.name': string does not match pattern. "
                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
            )
        schema = spec.get("schema")
        if spec.get("strict"):
            fault = strict_fault(schema)
            if fault is not None:
                return self.error(
                    400,
                    f"Invalid schema for response_format '{name}': {fault}",
                    param="response_format",
                )
        return None

    def answer(self, body: dict[str, Any]) -> Reply:
        asked = str(body["messages"][-1]["content"])
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            value = sample(response_format["json_schema"].get("schema") or {})
            text = self.text if self.text is not None else json.dumps(value)
        else:
            text = self.text if self.text is not None else f"GPT's answer to: {asked}"
        prompt = " ".join(str(m.get("content", "")) for m in body["messages"])
        input_tokens, output_tokens = self.counted(prompt, text)
        return _json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": f"{body['model']}-2025-04-14",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": text,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            },
        )


SCALAR_TYPES = {"string", "number", "integer", "boolean", "null"}


def strict_fault(schema: Any, context: tuple[str, ...] = ()) -> str | None:
    """Why OpenAI's strict mode refuses `schema` (its wording), or None."""
    where = f"In context={context!r}, "
    if not isinstance(schema, dict):
        return f"{where}schema must be an object."
    if not context and schema.get("type") != "object":
        got = schema.get("type")
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{got}\"'."
    if "anyOf" in schema:
        for index, option in enumerate(schema["anyOf"]):
            fault = strict_fault(option, (*context, "anyOf", str(index)))
            if fault is not None:
                return fault
        return None
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    for kind in kinds:
        if kind not in SCALAR_TYPES | {"object", "array"}:
            return f"{where}schema must have a 'type' key."
    if "object" in kinds:
        if schema.get("additionalProperties") is not False:
            return f"{where}'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties", {})
        required = schema.get("required")
        listed = required if isinstance(required, list) else []
        missing = [key for key in properties if key not in listed]
        if missing:
            return (
                f"{where}'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for key, value in properties.items():
            fault = strict_fault(value, (*context, "properties", key))
            if fault is not None:
                return fault
    if "array" in kinds and "items" in schema:
        return strict_fault(schema["items"], (*context, "items"))
    return None


def sample(schema: dict[str, Any]) -> Any:
    """A value of `schema`, as a model following it would answer."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return sample(schema["anyOf"][0])
    kinds = schema.get("type")
    kind = next((k for k in kinds if k != "null"), "null") if isinstance(kinds, list) else kinds
    if kind == "object":
        return {key: sample(value) for key, value in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(schema.get("items", {}))]
    if kind == "string":
        return "2025-01-02T03:04:05Z" if schema.get("format") == "date-time" else "text"
    return {"integer": 42, "number": 4.5, "boolean": True}.get(str(kind))


@dataclass
class ModelApiFakes:
    anthropic: FakeAnthropic
    openai: FakeOpenAI

    @property
    def apis(self) -> ModelApis:
        """Where a deployment using these fakes sends the LLM nodes' requests."""
        return ModelApis(anthropic=self.anthropic.base_url, openai=self.openai.base_url)

    def reset(self, key: str = "test-key-0123456789") -> None:
        self.anthropic.reset(key)
        self.openai.reset(key)


@contextlib.contextmanager
def model_api_fakes() -> Iterator[ModelApiFakes]:
    """Both fakes, each on a server of its own (another origin, as the real APIs are)."""
    anthropic, openai = FakeAnthropic(), FakeOpenAI()
    with serving(anthropic) as anthropic_server, serving(openai) as openai_server:
        anthropic.server, openai.server = anthropic_server, openai_server
        yield ModelApiFakes(anthropic, openai)
