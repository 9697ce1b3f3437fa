"""moto's ASL parser, parsing each distinct statement of a definition once.

moto turns a definition into evaluation components with ANTLR's Python runtime: about 30 µs a
token to lex and 60 µs to parse and preprocess, so that a 10,000-node workflow's definition
(200 tasks of nearly the same statements, 40,000 tokens) took 4 s of CPU to deploy. Here the
definition is read as JSON and each state is assembled from its statements as moto's
Preprocessor does it, each statement's component made by moto's own parser once per distinct
text (a task's Retry, Catch, Resource, ... are the same in every task), and the literal values
of `Parameters` (node ids, numbers) made directly, as moto's Preprocessor makes them.

Only what moto would read the same way takes this path: a definition in the compact form
`statemachine.asl.definition_json` writes (so each statement's text is the definition's own),
without duplicate keys; strings built directly are plain ones (no keyword, path, intrinsic
function or JSONata). Anything else, errors included, goes to moto's parser whole.
"""

from __future__ import annotations

import ast
import functools
import json
import threading
from collections.abc import Callable
from typing import Any

from antlr4 import CommonTokenStream, InputStream  # type: ignore[import-untyped]
from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
from moto.stepfunctions.parser.asl.component.common.comment import Comment
from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
from moto.stepfunctions.parser.asl.component.common.parargs import Parameters
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payload_value import (
    PayloadValue,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadarr.payload_arr import (  # noqa: E501
    PayloadArr,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadbinding.payload_binding import (  # noqa: E501
    PayloadBinding,
    PayloadBindingValue,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadtmpl.payload_tmpl import (  # noqa: E501
    PayloadTmpl,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_bool import (  # noqa: E501
    PayloadValueBool,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_float import (  # noqa: E501
    PayloadValueFloat,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_int import (  # noqa: E501
    PayloadValueInt,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_null import (  # noqa: E501
    PayloadValueNull,
)
from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_str import (  # noqa: E501
    PayloadValueStr,
)
from moto.stepfunctions.parser.asl.component.common.query_language import (
    QueryLanguage,
    QueryLanguageMode,
)
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.program.states import States
from moto.stepfunctions.parser.asl.component.program.version import Version
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl import (
    BranchesDecl,
)
from moto.stepfunctions.parser.asl.component.state.state_props import StateProps
from moto.stepfunctions.parser.asl.parse.asl_parser import (
    AmazonStateLanguageParser,
    ASLParserException,
    SyntaxErrorListener,
)
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

from local.moto_patches import replace
from statemachine.asl import definition_json

Parse = Callable[[str], tuple[Any, Any]]

# The JSON texts of the grammar's keywords ('"Type"', ...), and the starts and the end by
# which its other string rules claim a string (as in local.asl_lexer).
KEYWORDS = frozenset(
    name[1:-1] for name in ASLLexer.literalNames if name.startswith("'\"") and name.endswith("\"'")
)
CLAIMED_STARTS = ('"$', '"States.', '"{%')
CLAIMED_END = '.$"'
# Distinct statements kept parsed (a deployment's tasks share most of theirs).
KEPT_STATEMENTS = 8192


class _Unsupported(Exception):
    """The definition is left to moto's parser."""


class ParseCounter:
    """How many definitions moto's parser or this module turned into programs."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


parses = ParseCounter()
# moto's parse of a whole definition (set by install), for what this module leaves to it
moto_parse: Parse | None = None


def parser(whole: Parse) -> Parse:
    """A parse function for AmazonStateLanguageParser.parse: this module's, falling back on
    `whole` (moto's parse of the whole text) for what it leaves to moto."""

    def parse(definition: str) -> tuple[Any, Any]:
        parses.add()
        try:
            return program_of(definition), None
        except Exception:  # noqa: BLE001 - moto's own parser decides, and reports errors
            return whole(definition)

    return parse


def program_of(definition: str) -> Program:
    """The program of `definition`, or _Unsupported (or any error moto would raise)."""
    data = json.loads(definition, object_pairs_hook=_unique_keys)
    if not isinstance(data, dict) or _compact(data) != definition:
        raise _Unsupported("not in compact form")
    return _program(data, None)


def _program(data: dict[str, Any], outer: QueryLanguageMode | None) -> Program:
    mode = _scope(data, outer)
    states = data.get("States")
    if not isinstance(states, dict) or not states:
        raise _Unsupported("no states")
    props: dict[type, Any] = {}
    for key, value in data.items():
        if key == "States":
            continue
        component = _top_statement(mode, _compact({key: value}))
        if type(component) in props:
            raise _Unsupported("redefinition")
        props[type(component)] = component
    built = States()  # type: ignore[no-untyped-call]
    for name, state in states.items():
        if not isinstance(state, dict):
            raise _Unsupported("state is not an object")
        built.states[_inner(name)] = _state(name, state, mode)
    start_at = props.get(StartAt)
    if start_at is None:
        raise _Unsupported("no StartAt")
    return Program(
        query_language=props.get(QueryLanguage) or QueryLanguage(query_language_mode=mode),
        start_at=start_at,
        states=built,
        timeout_seconds=props.get(TimeoutSeconds),
        comment=props.get(Comment),
        version=props.get(Version),
    )


def _state(name: str, state: dict[str, Any], outer: QueryLanguageMode) -> Any:
    mode = _scope(state, outer)
    props = StateProps()  # type: ignore[no-untyped-call]
    for key, value in state.items():
        props.add(_statement_of_state(key, value, mode))
    if props.get(QueryLanguage) is None:
        props.add(QueryLanguage(query_language_mode=mode))
    props.name = _inner(name)
    return Preprocessor._common_state_field_of(state_props=props)


def _statement_of_state(key: str, value: Any, mode: QueryLanguageMode) -> Any:
    branches = isinstance(value, list) and value and all(isinstance(b, dict) for b in value)
    if key == "Branches" and branches:  # a Parallel state's programs
        return BranchesDecl(programs=[_program(branch, mode) for branch in value])
    if key == "Parameters" and mode == QueryLanguageMode.JSONPath:
        try:
            return _parameters(value, mode)
        except _Unsupported:  # a literal moto's grammar reads in its own way
            pass
    return _state_statement(mode, _compact({key: value}))


def _scope(data: dict[str, Any], outer: QueryLanguageMode | None) -> QueryLanguageMode:
    """The query language of a program or state: its own, else the one it is in."""
    declared = data.get("QueryLanguage")
    if declared is None:
        return outer or QueryLanguage().query_language_mode
    if declared not in ("JSONPath", "JSONata"):
        raise _Unsupported("unknown query language")
    mode = QueryLanguageMode.JSONata if declared == "JSONata" else QueryLanguageMode.JSONPath
    if outer == QueryLanguageMode.JSONata and mode == QueryLanguageMode.JSONPath:
        raise _Unsupported("JSONPath inside JSONata")
    return mode


def _parameters(value: Any, mode: QueryLanguageMode) -> Parameters:
    if not isinstance(value, dict):
        raise _Unsupported("Parameters is not an object")
    return Parameters(payload_tmpl=_template(value, mode))


def _template(value: dict[str, Any], mode: QueryLanguageMode) -> PayloadTmpl:
    bindings: list[PayloadBinding] = []
    for key, item in value.items():
        if key.endswith(".$"):  # a path, an intrinsic function, ...: moto's parser
            bindings.append(_binding(mode, _compact({"Parameters": {key: item}})))
        else:
            bindings.append(
                PayloadBindingValue(field=_literal_text(key), payload_value=_value(item, mode))
            )
    return PayloadTmpl(payload_bindings=bindings)


def _value(item: Any, mode: QueryLanguageMode) -> PayloadValue:
    if isinstance(item, dict):
        return _template(item, mode)
    if isinstance(item, list):
        return PayloadArr(payload_values=[_value(element, mode) for element in item])
    if isinstance(item, str):
        return PayloadValueStr(val=_literal_text(item))
    if item is None:
        return PayloadValueNull()  # type: ignore[no-untyped-call]
    if isinstance(item, bool):
        return PayloadValueBool(val=item)
    if isinstance(item, int):
        return PayloadValueInt(val=item)
    if isinstance(item, float):
        return PayloadValueFloat(val=item)
    raise _Unsupported("unknown value")


def _literal_text(text: str) -> str:
    """A plain string as moto's `from_string_literal` reads its JSON text."""
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted in KEYWORDS or quoted.startswith(CLAIMED_STARTS) or quoted.endswith(CLAIMED_END):
        raise _Unsupported("not a plain string")
    inner = quoted[1:-1]
    if "\\" not in inner:
        return inner
    try:
        return str(ast.literal_eval(f'"{inner}"'))
    except Exception:  # noqa: BLE001 - as moto: the text as it is
        return inner


def _inner(name: str) -> str:
    """A name as moto's `_inner_string_of` reads its JSON text (quotes off, no unescaping)."""
    return json.dumps(name, ensure_ascii=False)[1:-1]


@functools.lru_cache(maxsize=KEPT_STATEMENTS)
def _state_statement(mode: QueryLanguageMode, text: str) -> Any:
    """The component of one statement of a state (`{"Key": value}`)."""
    body = _parsed(text, ASLParser.state_decl_body)
    return _visit_only(body, ASLParser.RULE_state_stmt, mode)


@functools.lru_cache(maxsize=KEPT_STATEMENTS)
def _top_statement(mode: QueryLanguageMode, text: str) -> Any:
    """The component of one top-level statement of a program (`{"Key": value}`)."""
    body = _parsed(text, ASLParser.program_decl)
    return _visit_only(body, ASLParser.RULE_top_layer_stmt, mode)


@functools.lru_cache(maxsize=KEPT_STATEMENTS)
def _binding(mode: QueryLanguageMode, text: str) -> PayloadBinding:
    """The one binding of `{"Parameters": {"key.$": value}}`."""
    parameters = _state_statement(mode, text)
    template = getattr(parameters, "template_eval_component", None)
    if not isinstance(parameters, Parameters) or not isinstance(template, PayloadTmpl):
        raise _Unsupported("not Parameters")
    [binding] = template.payload_bindings
    return binding


def _parsed(text: str, rule: Callable[[ASLParser], Any]) -> Any:
    errors = SyntaxErrorListener()  # type: ignore[no-untyped-call]
    from moto.stepfunctions.parser.asl.parse import asl_parser

    # the lexer moto's parser uses (local.asl_lexer's, once installed)
    lexer = asl_parser.ASLLexer(InputStream(text))  # type: ignore[attr-defined]
    stream = CommonTokenStream(lexer)
    grammar = ASLParser(stream)
    grammar.removeErrorListeners()
    grammar.addErrorListener(errors)
    tree = rule(grammar)
    if errors.errors:
        raise ASLParserException(errors=errors.errors)
    return tree


def _visit_only(body: Any, rule_index: int, mode: QueryLanguageMode) -> Any:
    statements = [
        child
        for child in body.children or []
        if getattr(child, "getRuleIndex", lambda: -1)() == rule_index
    ]
    if len(statements) != 1:
        raise _Unsupported("not one statement")
    preprocessor = Preprocessor()
    # moto keeps its scopes in a list on the class: this visit has its own
    preprocessor._query_language_per_scope = [QueryLanguage(query_language_mode=mode)]
    component = preprocessor.visit(statements[0])
    if component is None:
        raise _Unsupported("no component")
    return component


def _compact(data: Any) -> str:
    """`data` as the compiler writes it, so that a statement's text is the definition's own."""
    return definition_json(data)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Unsupported("duplicate keys")
    return found


def install() -> None:
    """Make moto parse definitions with this module (each definition once: the programs of
    the last definitions are kept, so that a start parses nothing), keeping moto's own parse
    for its static analysers, which walk the parse tree."""
    from moto.stepfunctions.parser.asl.static_analyser.static_analyser import StaticAnalyser

    global moto_parse
    whole = moto_parse = AmazonStateLanguageParser.parse

    def analyse(analyser: StaticAnalyser, definition: str) -> None:
        analyser.visit(whole(definition)[1])

    replace(StaticAnalyser, "analyse", analyse)
    replace(
        AmazonStateLanguageParser,
        "parse",
        staticmethod(functools.lru_cache(maxsize=64)(parser(whole))),
    )
