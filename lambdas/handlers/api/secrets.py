"""`/secrets`: write and delete an organization's secrets; only their names are ever read."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field

from lambdas.handlers.api.bodies import SecretNames, SecretStored
from lambdas.handlers.api.routing import (
    ApiError,
    answers,
    deps_of,
    json_response,
    organization_of,
)
from lambdas.lifecycle.errors import NotFound
from lambdas.runtime.secret_references import MIN_SECRET_LENGTH, too_short
from statemachine import quotas

router = Router()  # type: ignore[no-untyped-call]

SecretName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]


class SecretValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(
        description=f"At least {MIN_SECRET_LENGTH} characters, at most "
        f"{quotas.KMS_PLAINTEXT_BYTES:,} bytes in UTF-8 (what KMS encrypts)",
    )


@router.put(
    "/secrets/<name>",
    summary="Create or replace a secret",
    responses=answers(
        {200: ("Stored (its name)", SecretStored)},
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ),
    operation_id="putSecret",
)
def put_secret(name: SecretName, secret: Annotated[SecretValue, Body()]) -> Response[str]:
    problem = too_short(name, secret.value)
    if problem is not None:
        raise ApiError(HTTPStatus.BAD_REQUEST, "SECRET_TOO_SHORT", problem)
    # KMS counts bytes, not characters: 3,000 "é" are 6,000 bytes.
    taken = len(secret.value.encode("utf-8"))
    if taken > quotas.KMS_PLAINTEXT_BYTES:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            f"The value of secret '{name}' is {taken:,} bytes in UTF-8; a secret holds at "
            f"most {quotas.KMS_PLAINTEXT_BYTES:,} bytes",
        )
    deps_of(router).secrets.put(organization_of(router), name, secret.value)
    return json_response(HTTPStatus.OK, {"name": name})


@router.delete(
    "/secrets/<name>",
    summary="Delete a secret",
    responses=answers({204: "Deleted"}, HTTPStatus.NOT_FOUND),
    operation_id="deleteSecret",
)
def delete_secret(name: SecretName) -> Response[None]:
    if not deps_of(router).secrets.delete(organization_of(router), name):
        raise NotFound("Secret", name)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.get(
    "/secrets",
    summary="The names of the organization's secrets (never their values)",
    responses=answers({200: ("Their names", SecretNames)}),
    operation_id="listSecrets",
)
def list_secrets() -> Response[str]:
    names = deps_of(router).secrets.names(organization_of(router))
    return json_response(HTTPStatus.OK, {"secrets": sorted(names)})
