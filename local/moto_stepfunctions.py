"""moto's Step Functions interpreter as the embedded engine runs it: two of its costs cut,
with what each state computes unchanged (local.interpreter holds what is changed to behave
as AWS does).

- A state's data is JSON, and the interpreter copies it whole several times per state (its
  input, the value a path selects, its result, the stack of a task): `copy.deepcopy`, which
  keeps a memo of every object and dispatches on each one's type, took a tenth of a served
  execution. Its modules copy JSON values as JSON trees (dicts, lists, immutable scalars);
  anything else still goes through `copy.deepcopy`.
- A task's `Parameters` hold the unit's nodes and edges as literals, which the interpreter
  evaluated value by value at every run of the task, as it evaluates a path. A template or
  array that holds literals alone is evaluated once; each run gets a copy of its value.
"""

from __future__ import annotations

import copy
import types
from typing import Any

# moto's interpreter modules that copy states' data with `copy.deepcopy`
COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def json_copy(value: Any, memo: Any = None) -> Any:
    """A copy of `value` that shares no dict or list with it: JSON trees copied directly,
    anything else by `copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value, memo)


def speed_up() -> None:
    """Apply both changes (once per process, with moto's other patches)."""
    _copy_json_as_json()
    _evaluate_literals_once()


def _copy_json_as_json() -> None:
    import importlib

    copier = types.SimpleNamespace(deepcopy=json_copy, copy=copy.copy)
    for name in COPYING_MODULES:
        importlib.import_module(name).copy = copier  # type: ignore[attr-defined]


# A component's folded value: (the value) or None when it is not made of literals alone.
_FOLDED = "_stepthunk_literal"


def _evaluate_literals_once() -> None:
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadarr.payload_arr import (  # noqa: E501
        PayloadArr,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadbinding.payload_binding import (  # noqa: E501
        PayloadBindingValue,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadtmpl.payload_tmpl import (  # noqa: E501
        PayloadTmpl,
    )
    from moto.stepfunctions.parser.asl.component.common.payload.payloadvalue.payloadvaluelit.payload_value_lit import (  # noqa: E501
        PayloadValueLit,
    )

    def literal(component: Any) -> tuple[Any] | None:
        """(its value) when `component` is made of literals alone, else None; worked out
        once per component (the parsed definition is kept with its state machine)."""
        try:
            return getattr(component, _FOLDED)  # type: ignore[no-any-return]
        except AttributeError:
            pass
        folded: tuple[Any] | None = None
        if isinstance(component, PayloadValueLit):
            folded = (component.val,)
        elif isinstance(component, PayloadArr):
            items = [literal(item) for item in component.payload_values]
            if all(item is not None for item in items):
                folded = ([item[0] for item in items if item is not None],)
        elif isinstance(component, PayloadTmpl):
            fields = {}
            for binding in component.payload_bindings:
                value = (
                    literal(binding.payload_value) if type(binding) is PayloadBindingValue else None
                )
                if value is None:
                    break
                fields[binding.field] = value[0]
            else:
                folded = (fields,)
        setattr(component, _FOLDED, folded)
        return folded

    def evaluating(original: Any) -> Any:
        def eval_body(component: Any, env: Any) -> None:
            folded = literal(component)
            if folded is None:
                original(component, env)
            else:
                env.stack.append(json_copy(folded[0]))

        return eval_body

    PayloadTmpl._eval_body = evaluating(PayloadTmpl._eval_body)  # type: ignore[method-assign]
    PayloadArr._eval_body = evaluating(PayloadArr._eval_body)  # type: ignore[method-assign]
