"""Blob inputs and outputs: a file given to a run (uploaded with POST /blobs, or
`--input NODE.value=@FILE` on the CLI) into the graph, and a blob result out of it.

Dafthunk's ports and messages. An input node without a value fails (`No image provided`); an
output node with nothing connected completes showing nothing, and one given a blob of another
kind than its own (an `audio/wav` blob to `output-image`) fails naming the kinds it shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Inputs and outputs")

# type -> Dafthunk's word for it, and the MIME types an output of that type shows (if only
# some) with examples for the message
KINDS: dict[ParameterType, tuple[str, tuple[str, str] | None]] = {
    ParameterType.BLOB: ("blob", None),
    ParameterType.IMAGE: ("image", ("image/", "image/png, image/jpeg")),
    ParameterType.DOCUMENT: ("document", None),
    ParameterType.AUDIO: ("audio", ("audio/", "audio/wav, audio/mp3")),
    ParameterType.VIDEO: ("video", ("video/", "video/mp4, video/webm")),
}


def _input(type: ParameterType) -> None:
    word = KINDS[type][0]

    @family.node(
        f"{word}-input",
        f"{word.capitalize()} Input",
        f"A {word} given to the run: the reference POST /blobs answered, or "
        f"`--input NODE.value=@FILE` on the CLI",
        inputs=(port("value", type, f"The {word}: a blob reference", hidden=True),),
        outputs=(port("value", type, f"The {word}, unchanged"),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        value = ctx.inputs.get("value")  # a Blob, passed on as it came (its reference kept)
        if value is None:
            raise NodeError(f"No {word} provided")
        return {"value": value}


def _output(type: ParameterType) -> None:
    word, shown = KINDS[type]

    @family.node(
        f"output-{word}",
        f"{word.capitalize()} Output",
        f"Shows a {word} result of the workflow (nothing when nothing reaches it)",
        inputs=(port("value", type, f"The {word} to show", required=True, fallback=True),),
        outputs=(port("displayValue", type, "The blob shown, kept with the record", hidden=True),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        value = ctx.inputs.get("value")
        if value is None:
            return {}
        if shown is not None and not value.mime_type.startswith(shown[0]):
            raise NodeError(f"MIME type must be {word}-related (e.g., {shown[1]})")
        return {"displayValue": value}


for kind in KINDS:
    _input(kind)
    _output(kind)
