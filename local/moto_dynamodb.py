"""moto's DynamoDB as the embedded engine serves it: one request at a time, each recording what
it changed, and six of moto's costs that grew with the data or the expression cut down
(queries within a partition, update expressions checked once, their trees copied from a
pickle and walked without asking each node's processors anew, condition expressions parsed
once, simple updates applied directly). The requests themselves reach it without HTTP
(`local.direct`).
"""

from __future__ import annotations

import copy
import json
import pickle
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from local.changes import ChangeLog, KeyNames, record_dynamodb
from local.moto_patches import replace

# DynamoDB operations that change nothing; any other may write.
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
READ_PREFIXES = ("Describe", "List")
# How many update expressions' static checks are remembered as passed.
CHECKED_EXPRESSIONS = 512
# How many parsed condition expressions are kept.
PARSED_CONDITIONS = 512
# A placeholder of an expression attribute name or value, as moto's condition parser reads one
# (its lexeme for an operand, `[A-z]` included): the key of a parse holds each in whole.
_PLACEHOLDER = re.compile(r"[#:][A-z0-9\-_]+")
# Where moto's Table.query takes `index_name` among the arguments after the partition key.
INDEX_NAME_AT = 6


class Tables:
    """One lock over moto's DynamoDB, and the record of what each request changed."""

    def __init__(self, changes: ChangeLog, key_names: KeyNames) -> None:
        self._changes = changes
        self._key_names = key_names
        self._lock = threading.Lock()

    def serve(self, action: str, params: Callable[[], Any], run: Callable[[], Any]) -> Any:
        """`run()`, the request `action`, alone; record what it may have changed (from its
        parameters, `params()` once it has run)."""
        reads = action in READS or action.startswith(READ_PREFIXES)
        # DynamoDB never calls back into our code, so one request at a time cannot deadlock.
        with self._lock:
            try:
                return run()
            finally:
                if not reads:
                    record_dynamodb(self._changes, action, params() or {}, self._key_names)


def query_within_partitions() -> None:
    """Make a query of moto's tables read the items it can match, not sort the whole table.

    moto's `Table.query` starts from every item of the table, sorted, and then keeps those of
    the partition asked for: each query cost grows with the table (the executions of a
    long-running `serve`), sorting thousands of items to return a few. Within a query the
    items are sorted again once filtered (by sort key, or by the index's and the table's keys,
    a total order), so the items it starts from need no order: a query of the table starts
    from its partition's items, a query of an index from all items, unsorted.
    """
    import inspect

    from moto.dynamodb.models.table import Table

    if list(inspect.signature(Table.query).parameters)[2 + INDEX_NAME_AT] != "index_name":
        raise RuntimeError("moto's Table.query takes its arguments in another order: check the pin")
    original_query, original_all_items = Table.query, Table.all_items
    scope = threading.local()

    def query(table: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto passes the index name seventh after the partition key, or by name
        index_name = args[INDEX_NAME_AT] if len(args) > INDEX_NAME_AT else kwargs.get("index_name")
        scope.query = (table, hash_key, index_name)
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            scope.query = None

    def all_items(table: Table) -> list[Any]:
        querying = getattr(scope, "query", None)
        if querying is None or querying[0] is not table:
            return original_all_items(table)
        _, hash_key, index_name = querying
        if index_name is not None or hash_key is None:
            return [
                item
                for stored in table.items.values()
                for item in (stored.values() if table.range_key_attr else [stored])
            ]
        stored = table.items.get(hash_key)
        if stored is None:
            return []
        return list(stored.values()) if table.range_key_attr else [stored]

    replace(Table, "query", query)
    replace(Table, "all_items", all_items)


def check_update_expressions_once() -> None:
    """Run the checks of an update expression that depend on it alone once per expression,
    and copy its parsed tree for each request from a pickled copy.

    moto validates an UpdateItem by walking its expression's tree with ten processors, and
    the one that counts clauses walks every subtree again from each node: a record update of
    fifteen SET clauses took 14 ms, most of a served execution's DynamoDB time. Three of the
    processors only refuse an expression (too many clauses of a kind, overlapping paths, a
    key attribute set), whatever the item and the values: once an expression with its names
    has passed them on a table's keys, they are not run for it again. The processors that
    resolve values and read the item run at every request, as before.
    """
    from collections import OrderedDict

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import UpdateExpression  # type: ignore[attr-defined]

    static = (
        validators.ActionCountValidator,
        validators.OverlappingPathsValidator,
        validators.UpdateHashRangeKeyValidator,
    )
    # per parsed expression (by id, kept with it so that its id names no other): its tree
    # pickled, and the names and table keys its static checks passed with
    kept: OrderedDict[int, tuple[Any, bytes, set[tuple[Any, ...]]]] = OrderedDict()
    lock = threading.Lock()
    original_init = validators.UpdateExpressionValidator.__init__

    def record_of(expression: Any) -> tuple[Any, bytes, set[tuple[Any, ...]]]:
        with lock:
            record = kept.get(id(expression))
            if record is None or record[0] is not expression:
                record = (expression, pickle.dumps(expression, pickle.HIGHEST_PROTOCOL), set())
                kept[id(expression)] = record
                while len(kept) > CHECKED_EXPRESSIONS:
                    kept.popitem(last=False)
            return record

    def copied(value: Any) -> Any:
        # The validator works on a copy of the parsed expression (which the parser keeps):
        # loaded from its pickle, 6x faster than a deepcopy of the tree.
        if not isinstance(value, UpdateExpression):
            return copy.deepcopy(value)
        return pickle.loads(record_of(value)[1])

    def init(validator: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        original_init(validator, expression, *args, **kwargs)
        validator.stepthunk_expression = expression

    def validate(validator: Any) -> Any:
        names = tuple(sorted((validator.expression_attribute_names or {}).items()))
        checks = (names, tuple(validator.table.table_key_attrs))
        passed = record_of(validator.stepthunk_expression)[2]
        with lock:
            known = checks in passed
        processors = validator.processors
        if known:
            processors = [p for p in processors if not isinstance(p, static)]
        node = validator.node_to_validate
        for processor in processors:
            node = processor.traverse(node)
        with lock:
            passed.add(checks)
        return node

    replace(validators, "deepcopy", copied)
    replace(validators.UpdateExpressionValidator, "__init__", init)
    replace(validators.UpdateExpressionValidator, "validate", validate)


def walk_expression_trees_directly() -> None:
    """Walk an update expression's tree once per processor without asking, at every node,
    which node kinds the processor takes.

    moto's tree walk builds its processor's map of node kinds (a new dict) twice at every
    node, tests each node against abstract classes (slow `isinstance` checks) and calls a
    do-nothing hook before every child: of a record update's 4 ms, 2.3 went to walking the
    tree seven times. This walk visits the same nodes in the same order and calls the same
    processors (the first whose kind the node is), and the hook where a processor has one;
    a processor's map depends on its class alone, so what a node's class gets is looked up
    once per processor class.
    """
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

    hook = DepthFirstTraverser.pre_processing_of_child
    # (processor class, node class) -> whether it is a tree node, and the kind it is
    # processed as (None: not processed)
    dispatch: dict[tuple[type, type], tuple[bool, Any]] = {}

    def traverse(traverser: Any, root: Any) -> Any:
        processing = traverser._processing_map()
        processor_class = type(traverser)
        before_child = (
            None
            if processor_class.pre_processing_of_child is hook
            else traverser.pre_processing_of_child
        )

        def walk(node: Any, child_id: int) -> Any:
            node_class = type(node)
            known = dispatch.get((processor_class, node_class))
            if known is None:
                kind = next((k for k in processing if issubclass(node_class, k)), None)
                known = dispatch[processor_class, node_class] = (issubclass(node_class, Node), kind)
            is_node, kind = known
            if not is_node:
                return node
            parent = node.parent
            if node.children is not None:
                for index, child in enumerate(node.children):
                    if before_child is not None:
                        before_child(node, index)
                    walk(child, index)
            if kind is not None:
                node = processing[kind](node)
                node.parent = parent
                if parent:
                    parent.children[child_id] = node
            return node

        return walk(root, -1)

    replace(DepthFirstTraverser, "traverse", traverse)


def parse_conditions_once() -> None:
    """Parse each condition expression once, with the names and values it uses.

    moto parses a write's condition expression twice per request (to check which names and
    values it uses, then to evaluate it), token by token in Python: two thirds of a millisecond
    of each record update, whose condition is the same at every write. The tree a parse
    gives depends on the expression and on the names and values its placeholders name, and
    nothing changes it once built (it is only evaluated against items), so it is kept, keyed
    by those, with the names and values the parse found. An expression that does not parse
    is parsed (and refused) at every request, as before.
    """
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original_parse = ConditionExpressionParser.parse
    kept: OrderedDict[tuple[Any, ...], tuple[Any, list[str], list[str]]] = OrderedDict()
    lock = threading.Lock()

    def parse(parser: ConditionExpressionParser) -> Any:
        expression = parser.condition_expression
        if not expression:
            return original_parse(parser)
        names = parser.expression_attribute_names or {}
        values = parser.expression_attribute_values or {}
        used = sorted(set(_PLACEHOLDER.findall(expression)))
        key = (
            expression,
            tuple((p, names.get(p)) for p in used if p[0] == "#"),
            tuple((p, json.dumps(values.get(p), sort_keys=True)) for p in used if p[0] == ":"),
        )
        with lock:
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
        if found is None:
            tree = original_parse(parser)
            found = (tree, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found))
            with lock:
                kept[key] = found
                while len(kept) > PARSED_CONDITIONS:
                    kept.popitem(last=False)
            return tree
        tree, names_found, values_found = found
        parser.expr_attr_names_found.extend(names_found)
        parser.expr_attr_values_found.extend(values_found)
        return tree

    replace(ConditionExpressionParser, "parse", parse)


# A simple update: `SET #a = :a, #b = if_not_exists(#b, :b), ...` and an optional
# `REMOVE #c, ...`, each action on a whole top-level attribute named by a placeholder.
_NAME, _VALUE = r"#[A-Za-z0-9_]+", r":[A-Za-z0-9_]+"
_SET_ACTION = re.compile(rf"({_NAME}) = (?:({_VALUE})|if_not_exists\(\1, ({_VALUE})\))")
_ANY_SET = rf"{_NAME} = (?:{_VALUE}|if_not_exists\({_NAME}, {_VALUE}\))"
_SIMPLE_UPDATE = re.compile(
    rf"SET (?P<set>{_ANY_SET}(?:, {_ANY_SET})*)(?: REMOVE (?P<remove>{_NAME}(?:, {_NAME})*))?"
)
# The values a simple update writes: strings, and numbers as DynamoDB writes them back.
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]{0,37})")
# moto's item size limit (DynamoDB's 400 KB, as moto measures an item).
ITEM_SIZE_LIMIT = 405000
# (set actions: name placeholder, value placeholder, only if absent), remove placeholders
SimpleUpdate = tuple[tuple[tuple[str, str, bool], ...], tuple[str, ...]]


def simple_update(expression: str) -> SimpleUpdate | None:
    """The actions of a simple update expression, in order; None for any other expression."""
    matched = _SIMPLE_UPDATE.fullmatch(expression)
    if matched is None:
        return None
    sets = []
    for action in _SET_ACTION.finditer(matched["set"]):
        name, value, absent_only = action[1], action[2] or action[3], action[3] is not None
        sets.append((name, value, absent_only))
    if len(sets) != matched["set"].count(" = "):  # an if_not_exists of another attribute
        return None
    removed = tuple(matched["remove"].split(", ")) if matched["remove"] else ()
    return tuple(sets), removed


def update_simple_items_directly() -> None:
    """Apply a simple update expression (whole top-level attributes set, set if absent,
    removed: what a record write is) to its item directly.

    moto validates any update expression by walking its tree with seven processors, then
    executes it by walking it again, and checks the item's size by summing every attribute
    at each one set: 1.4 ms of each record write, two per execution. An update of this
    simple form needs none of it: its placeholders are looked up, its values set. Whatever
    such an update could be refused for (a placeholder not given, a key attribute, two
    actions on one attribute, a value that is neither a string nor a plain number) goes to
    moto's own path, which refuses it as before; so does any other expression, and any
    request with `Expected` or `AttributeUpdates`. The condition is decided as moto decides
    it; the item's size is checked once, as it will be after the update (DynamoDB's rule;
    moto adds each new value to the size of the item it replaces it in), and nothing is
    written when it is too large.
    """
    from moto.dynamodb.comparisons import create_condition_expression_parser
    from moto.dynamodb.exceptions import ConditionalCheckFailed, ItemSizeToUpdateTooLarge
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    original = DynamoDBBackend.update_item
    parsed: dict[str, SimpleUpdate | None] = {}

    def resolved(
        table: Any, expression: str, names: dict[str, str], values: dict[str, Any]
    ) -> tuple[list[tuple[str, Any, bool]], list[str]] | None:
        actions = parsed.get(expression)
        if actions is None:
            if expression in parsed or len(parsed) >= CHECKED_EXPRESSIONS:
                return None
            actions = parsed[expression] = simple_update(expression)
            if actions is None:
                return None
        sets, removes = actions
        keys = {table.hash_key_attr, table.range_key_attr}
        touched: set[str] = set()
        writes: list[tuple[str, Any, bool]] = []
        for name_placeholder, value_placeholder, absent_only in sets:
            name, value = names.get(name_placeholder), values.get(value_placeholder)
            if name is None or name in keys or name in touched or not _plain(value):
                return None
            touched.add(name)
            writes.append((name, value, absent_only))
        removed = []
        for name_placeholder in removes:
            name = names.get(name_placeholder)
            if name is None or name in keys or name in touched:
                return None
            touched.add(name)
            removed.append(name)
        return writes, removed

    def update_item(
        backend: Any,
        table_name: str,
        key: dict[str, dict[str, Any]],
        update_expression: str,
        expression_attribute_names: dict[str, Any],
        expression_attribute_values: dict[str, Any],
        attribute_updates: dict[str, Any] | None = None,
        expected: dict[str, Any] | None = None,
        condition_expression: str | None = None,
        return_values_on_condition_check_failure: str | None = None,
    ) -> Any:
        table = backend.get_table(table_name)
        actions = None
        if update_expression and not attribute_updates and not expected:
            actions = resolved(
                table,
                update_expression,
                expression_attribute_names or {},
                expression_attribute_values or {},
            )
        if actions is None or table.range_key_attr is not None or table.hash_key_attr not in key:
            return original(
                backend,
                table_name,
                key,
                update_expression,
                expression_attribute_names,
                expression_attribute_values,
                attribute_updates,
                expected,
                condition_expression,
                return_values_on_condition_check_failure,
            )
        writes, removed = actions
        hash_value = DynamoType(key[table.hash_key_attr])
        item = table.get_item(hash_value, None)
        condition = create_condition_expression_parser(
            condition_expression, expression_attribute_names, expression_attribute_values
        ).parse()
        if not condition.expr(item):
            if return_values_on_condition_check_failure == "ALL_OLD" and item is not None:
                raise ConditionalCheckFailed(item=item.to_json()["Attributes"])
            raise ConditionalCheckFailed
        attributes = dict(item.attrs) if item is not None else {table.hash_key_attr: hash_value}
        for name, value, absent_only in writes:
            if not (absent_only and name in attributes):
                attributes[name] = DynamoType(value)
        for name in removed:
            attributes.pop(name, None)
        size = sum(bytesize(name) + value.size() for name, value in attributes.items())
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeToUpdateTooLarge()
        before = copy.deepcopy(item) if table.stream_shard is not None else None
        if item is None:
            table.put_item({table.hash_key_attr: {hash_value.type: hash_value.value}})
            item = table.get_item(hash_value, None)
        # written as a whole, sized above (moto's dict would sum the item at each attribute)
        dict.clear(item.attrs)
        dict.update(item.attrs, attributes)
        if table.stream_shard is not None:
            table.stream_shard.add(before, item)
        return item

    replace(DynamoDBBackend, "update_item", update_item)


def _plain(value: Any) -> bool:
    """Whether `value` is an attribute value a simple update writes directly."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, content),) = value.items()
    if kind == "S":
        return isinstance(content, str)
    return kind == "N" and isinstance(content, str) and _PLAIN_NUMBER.fullmatch(content) is not None
