"""Malformed workflow files for the bad-input tests: Hypothesis strategies of document bytes.

Each case is the bytes of a workflow file and the kind of damage it carries. Besides the
mutations and random JSON of tests/support/bad_workflows, there are cycles, huge ids, unicode
(emoji, right-to-left marks, NUL, lone surrogates), deep nesting, duplicate keys, non-object
roots, edges to nowhere and wrong types. Only fast, local node types appear (no fetch, no
wait), so that a case that happens to be valid runs at once and never leaves the machine.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.support.bad_workflows import BASE, JSON, mutated_workflows
from tests.support.workflows import edge, node, workflow

KINDS = (
    "mutation",
    "random JSON",
    "cycle",
    "huge id",
    "unicode",
    "deep nesting",
    "duplicate keys",
    "non-object root",
    "edge to nowhere",
    "wrong types",
)
TEN_MB = 10 * 1024 * 1024
MARKER = "@deeply nested value@"
ODD_TEXT = ["\U0001f600\U0001f9ea", "\u202eevil", "a\x00b", "\ud800", "x\udfffy", "", " "]
GARBAGE = [b"", b"  ", b"{", b"[1,]", b"NaN", b"-Infinity", b"1e999", b"\xef\xbb\xbf{}", b"\xff"]


@dataclass(frozen=True)
class Case:
    kind: str
    text: bytes

    def __repr__(self) -> str:  # Hypothesis prints failing cases: keep huge ones readable
        shown = self.text if len(self.text) < 500 else self.text[:500] + b"..."
        return f"Case({self.kind!r}, {shown!r} ({len(self.text)} bytes))"


def encode(document: Any, *, raw_surrogates: bool = False) -> bytes:
    """JSON bytes; lone surrogates as \\u escapes, or (raw) as the invalid UTF-8 they make.

    Written without recursion, since the documents nest deeper than json.dumps can go.
    """
    ascii_only = not raw_surrogates
    out: list[str] = []
    pending: list[Any] = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, _Text):
            out.append(item)
        elif isinstance(item, dict | list):
            opening, closing = ("{", "}") if isinstance(item, dict) else ("[", "]")
            parts: list[Any] = [_Text(opening)]
            members = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for index, (key, value) in enumerate(members):
                if index:
                    parts.append(_Text(", "))
                if isinstance(item, dict):
                    parts.append(_Text(json.dumps(str(key), ensure_ascii=ascii_only) + ": "))
                parts.append(value)
            parts.append(_Text(closing))
            pending.extend(reversed(parts))
        else:
            out.append(json.dumps(item, ensure_ascii=ascii_only))
    return "".join(out).encode("utf-8", "surrogatepass")


class _Text(str):
    """Text already written as JSON."""


def with_duplicates(pairs: list[tuple[str, Any]]) -> bytes:
    """A JSON object written from `pairs`, in order, repeated keys and all."""
    members = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs)
    return ("{" + members + "}").encode("utf-8")


def deep_text(depth: int, container: str) -> bytes:
    """A value nested `depth` levels, as JSON text (json.dumps cannot write it that deep)."""
    opening, closing = (b"[", b"]") if container == "list" else (b'{"k": ', b"}")
    return opening * depth + b"1" + closing * depth


odd_text = st.sampled_from(ODD_TEXT) | st.text(
    st.characters(codec=None, exclude_categories=()), max_size=12
)


@st.composite
def cycles(draw: st.DrawFn) -> bytes:
    length = draw(st.integers(1, 6))
    ids = [f"c{i}" for i in range(length)]
    nodes = [node(i, draw(st.sampled_from(["addition", "sum"]))) for i in ids]
    ports = {n["id"]: "a" if n["type"] == "addition" else "numbers" for n in nodes}
    edges = [
        edge(f"{a}.result", f"{b}.{ports[b]}") for a, b in zip(ids, ids[1:] + ids[:1], strict=True)
    ]
    return encode(workflow(*nodes, node("ok", "number-input", value=1), edges=edges))


@st.composite
def huge_ids(draw: st.DrawFn) -> bytes:
    size = draw(st.sampled_from([129, 1_000, 100_000]))
    huge = draw(st.sampled_from(["n", "\U0001f600", "ü"])) * size
    document = copy.deepcopy(BASE)
    where = draw(st.sampled_from(["workflow", "node", "edge", "port"]))
    if where == "workflow":
        document["id"] = huge
    elif where == "node":
        document["nodes"][0]["id"] = huge
    elif where == "edge":
        document["edges"][0]["source"] = huge
    else:
        document["nodes"][2]["inputs"].append({"name": huge, "value": 1})
    return encode(document)


@st.composite
def unicode_documents(draw: st.DrawFn) -> bytes:
    document = copy.deepcopy(BASE)
    text = draw(odd_text)
    where = draw(st.sampled_from(["id", "name", "node id", "type", "value", "key"]))
    if where == "id":
        document["id"] = text
    elif where == "name":
        document["name"] = text
    elif where == "node id":
        document["nodes"][2]["id"] = text  # its edges now lead nowhere
    elif where == "type":
        document["nodes"][1]["type"] = text
    elif where == "value":
        document["nodes"].append(node("t", "text-input", value=text))
    else:
        document["nodes"].append(node("j", "json-input", json={text: text}))
    return encode(document, raw_surrogates=draw(st.booleans()))


@st.composite
def deeply_nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([100, 990, 5_000, 100_000]))
    where = draw(st.sampled_from(["literal", "root", "node", "edge"]))
    document: Any = copy.deepcopy(BASE)
    if where == "literal":
        document["nodes"].append(node("j", "json-input", json=MARKER))
    elif where == "root":
        document = MARKER
    elif where == "node":
        document["nodes"].append(MARKER)
    else:
        document["edges"][0]["targetInput"] = MARKER
    nested = deep_text(depth, draw(st.sampled_from(["list", "dict"])))
    return encode(document).replace(json.dumps(MARKER).encode(), nested)


@st.composite
def duplicate_keys(draw: st.DrawFn) -> bytes:
    pairs = list(copy.deepcopy(BASE).items())
    key = draw(st.sampled_from(["id", "name", "nodes", "edges", "trigger"]))
    pairs.insert(draw(st.integers(0, len(pairs))), (key, draw(JSON)))
    return with_duplicates(pairs)


non_object_roots = st.sampled_from(GARBAGE) | (
    JSON.filter(lambda value: not isinstance(value, dict)).map(encode)
)


@st.composite
def edges_to_nowhere(draw: st.DrawFn) -> bytes:
    document = copy.deepcopy(BASE)
    names = st.sampled_from(["n", "add", "ghost", "", "result", "value"]) | st.text(max_size=4)
    for _ in range(draw(st.integers(1, 4))):
        document["edges"].append(
            {
                "source": draw(names),
                "sourceOutput": draw(names),
                "target": draw(names),
                "targetInput": draw(names),
            }
        )
    return encode(document)


@st.composite
def wrong_types(draw: st.DrawFn) -> bytes:
    document = copy.deepcopy(BASE)
    value = draw(JSON)
    where = draw(
        st.sampled_from(
            ["nodes", "edges", "id", "name", "node", "inputs", "literal", "edge", "position"]
        )
    )
    if where in ("nodes", "edges", "id", "name"):
        document[where] = value
    elif where == "node":
        document["nodes"][0] = value
    elif where == "inputs":
        document["nodes"][2]["inputs"] = value
    elif where == "literal":  # addition's b is a number
        document["nodes"][2]["inputs"][0]["value"] = draw(st.sampled_from(["4", [4], True, None]))
    elif where == "edge":
        document["edges"][0][draw(st.sampled_from(["source", "targetInput"]))] = value
    else:
        document["nodes"][0]["position"] = value
    return encode(document)


def documents() -> st.SearchStrategy[Case]:
    """Any of the kinds of damage, each case labelled with its kind."""
    by_kind: dict[str, st.SearchStrategy[bytes]] = {
        "mutation": mutated_workflows().map(encode),
        "random JSON": JSON.map(encode),
        "cycle": cycles(),
        "huge id": huge_ids(),
        "unicode": unicode_documents(),
        "deep nesting": deeply_nested(),
        "duplicate keys": duplicate_keys(),
        "non-object root": non_object_roots,
        "edge to nowhere": edges_to_nowhere(),
        "wrong types": wrong_types(),
    }
    assert tuple(by_kind) == KINDS
    labelled = (strategy.map(functools.partial(Case, kind)) for kind, strategy in by_kind.items())
    return st.one_of(*labelled)


# What each of ten_megabyte_cases holds of 10 MB, in order.
TEN_MEGABYTE_KINDS = ("text literal", "array literal", "workflow id")


def ten_megabyte_cases() -> list[Case]:
    """A few 10 MB documents (too slow to draw for every example). Written by json.dumps:
    they nest only a few levels and hold plain text, which `encode` writes alike, in Python
    (18 s for these three)."""
    text = "x" * TEN_MB
    documents = [
        workflow(node("t", "text-input", value=text)),
        workflow(node("j", "json-input", json=[1] * (TEN_MB // 3))),
        workflow(node("n", "number-input"), workflow_id=text),
    ]
    assert len(documents) == len(TEN_MEGABYTE_KINDS)
    return [Case("10 MB literal", json.dumps(document).encode()) for document in documents]
