"""Credits for the LLM nodes on Step Functions: the estimate the price table gives is checked
before any request, and the tokens the provider reports are what the organization is charged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.cloud import LocalCloud
from local.embedded import EmbeddedEngine
from tests.support.http_server import LOCAL_FAKES
from tests.support.model_apis import ModelApiFakes, model_api_fakes
from tests.support.runs import new_organization
from tests.support.workflows import node, workflow

KEY = "sk-credits-0123456789"


@pytest.fixture(scope="module")
def fakes() -> Iterator[ModelApiFakes]:
    with model_api_fakes() as started:
        yield started


@pytest.fixture(scope="module")
def paying(cloud: LocalCloud, fakes: ModelApiFakes) -> EmbeddedEngine:
    """A deployment that checks and charges credits, its LLM nodes calling the fakes."""
    return EmbeddedEngine(cloud=cloud, credits=0, allow_networks=LOCAL_FAKES, model_apis=fakes.apis)


def organization_with(engine: EmbeddedEngine, credits: int) -> str:
    organization = new_organization()
    engine.set_credits(organization, credits=credits)
    engine.secrets.put(organization, "ANTHROPIC_API_KEY", KEY)
    return organization


def test_the_organization_is_charged_the_tokens_the_provider_reports(
    paying: EmbeddedEngine, fakes: ModelApiFakes
) -> None:
    fakes.reset(KEY)
    fakes.anthropic.tokens = (12_000, 3_000)  # (12,000 * 3,000 + 3,000 * 15,000) / 1M = 81
    organization = organization_with(paying, credits=100)

    record = paying.run(
        workflow(node("ask", "claude-sonnet-4", input="Summarize")), organization_id=organization
    )

    assert record.status == "completed"
    assert record.usage == 81
    account = paying.organizations.get(organization)
    assert account is not None
    assert account.usage == 81


def test_credits_short_of_the_estimate_send_no_request(
    paying: EmbeddedEngine, fakes: ModelApiFakes
) -> None:
    fakes.reset(KEY)
    organization = organization_with(paying, credits=18)  # claude-sonnet-4 counts 19

    record = paying.run(
        workflow(node("ask", "claude-sonnet-4", input="Summarize")), organization_id=organization
    )

    assert record.status == "exhausted"
    assert fakes.anthropic.calls == []
