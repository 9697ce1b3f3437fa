"""The CDK app: the stepthunk stack from the context's config, checked by cdk-nag.

cdk.json runs it as `.venv/bin/python -m cdk.app`; `create_app` serves the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from cdk.config import Config
from cdk.stack import StepthunkStack


def create_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with its one stack; any unacknowledged AwsSolutions finding fails synth."""
    app = App(context=dict(context or {}), outdir=outdir)
    StepthunkStack(app, config=Config.from_context(app.node))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> None:
    create_app().synth()


if __name__ == "__main__":
    main()
