"""The local cloud's DynamoDB, served to this process's boto3 clients without HTTP.

A DynamoDB request through moto costs a boto3 client most of its time in the round trip, not
in the table: botocore signs the request and hands it to moto as HTTP, moto parses it back
against the service model, runs the operation, serializes the answer against the model again,
and botocore parses that. Here a client's item requests (reads, writes, queries, batches,
transactions) are answered at botocore's `before-call` event instead: the parameters the
client validated and serialized as for AWS are given to moto's own DynamoDB handler, whose
answer is already in the shape the client returns. What the client does before sending (its
parameter validation, its events) and after (its errors, raised as the same exception classes
with the same codes and fields) is unchanged; only the transport is skipped. Requests that
manage tables go the whole way.

Every request, direct or not, runs under one lock (moto's tables are not thread-safe) and
records what it may have changed (`local.changes`).
"""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Callable
from typing import Any

from botocore import parsers
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.responses import DynamoHandler
from werkzeug.exceptions import HTTPException

from local.changes import ChangeLog, KeyNames, record_dynamodb

# The item requests answered directly; any other goes through moto's HTTP stand-in.
DIRECT = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
# DynamoDB operations that change nothing; any other may write.
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
READ_PREFIXES = ("Describe", "List")
# How many update expressions' static checks are remembered as passed.
CHECKED_EXPRESSIONS = 512
# Where moto's Table.query takes `index_name` among the arguments after the partition key.
INDEX_NAME_AT = 6
TARGET_PREFIX = "DynamoDB_20120810."
_PARAMS = "stepthunk.direct_dynamodb.params"


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


class DirectClients:
    """The botocore event handlers that answer a client's item requests from moto directly."""

    def __init__(self, tables: Tables, account: str, enabled: Callable[[], bool]) -> None:
        self._tables = tables
        self._account = account
        self._enabled = enabled

    def install(self) -> None:
        """Answer the item requests of every client created from now on, and of the clients of
        boto3's default session if it exists already."""
        import boto3
        from botocore import handlers

        # Last, so that a handler a test registers (botocore's Stubber) answers first.
        for event, handler in self._handlers():
            handlers.BUILTIN_HANDLERS.append((event, handler, handlers.REGISTER_LAST))
            if boto3.DEFAULT_SESSION is not None:
                boto3.DEFAULT_SESSION.events.register_last(event, handler)

    def uninstall(self, events: Any) -> None:
        """Send the requests of a client (its `meta.events`) the whole way again."""
        for event, handler in self._handlers():
            events.unregister(event, handler)

    def _handlers(self) -> list[tuple[str, Callable[..., Any]]]:
        return [
            ("before-parameter-build.dynamodb", self._keep_params),
            ("before-call.dynamodb", self._answer),
        ]

    @staticmethod
    def _keep_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.name in DIRECT:
            context[_PARAMS] = params

    def _answer(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        requested = context.pop(_PARAMS, None)
        if requested is None or not self._enabled():
            return None
        action = model.name
        # moto may keep parts of the request in its items: they must not be the caller's.
        requested = copy.deepcopy(requested)
        handler = _handler(self._account, context["client_region"], action, requested)
        method = getattr(handler, camelcase_to_underscores(action))
        try:
            result = self._tables.serve(action, lambda: handler.params, method)
        except (ServiceException, HTTPException) as error:
            return _error(handler, model, error)
        answer = _modeled(result.result, model.output_shape)
        answer["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
        return AWSResponse(params["url"], 200, HTTPHeaders(), None), answer


def _modeled(value: Any, shape: Any) -> Any:
    """`value` as the client would parse it off the wire: only the members its shape models,
    none that is None (moto's answers carry a few more, which its serializer leaves out).
    Items are taken as they are: moto builds their attribute values in the client's shape."""
    kind = shape.type_name
    if kind == "structure":
        if shape.name == "AttributeValue":
            return value
        members = shape.members
        return {
            name: _modeled(member, members[name])
            for name, member in value.items()
            if name in members and member is not None
        }
    if kind == "list":
        return [_modeled(member, shape.member) for member in value]
    if kind == "map":
        if shape.value.name == "AttributeValue":
            return value
        return {key: _modeled(member, shape.value) for key, member in value.items()}
    return value


def _handler(account: str, region: str, action: str, params: dict[str, Any]) -> DynamoHandler:
    handler = DynamoHandler()
    handler.current_account = account
    handler.region = region
    handler.headers = {
        "X-Amz-Target": TARGET_PREFIX + action,
        "Content-Type": "application/x-amz-json-1.0",
    }
    handler.params = params
    handler.body = params
    return handler


def _error(
    handler: DynamoHandler, model: Any, error: ServiceException | HTTPException
) -> tuple[AWSResponse, dict[str, Any]]:
    """The error moto answers, parsed as botocore parses it off the wire (modeled fields too)."""
    if isinstance(error, ServiceException):
        status, headers, body = handler.serialized(ActionResult(error))
    else:
        status, body = error.code or 400, error.description or ""
        headers = dict(error.get_headers() or [])
    raw = body.encode() if isinstance(body, str) else body
    response = {"status_code": status, "headers": headers, "body": raw}
    parser = parsers.create_parser(model.service_model.protocol)
    parsed = parser.parse(response, model.output_shape)
    code = parsed.get("Error", {}).get("Code")
    shape = model.service_model.shape_for_error_code(code) if code else None
    if shape is not None:
        parsed.update(parser.parse(response, shape))
    return AWSResponse("", status, HTTPHeaders.from_dict(headers), None), parsed


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

    Table.query = query  # type: ignore[method-assign,assignment]
    Table.all_items = all_items  # type: ignore[method-assign,assignment]


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
    passed: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
    lock = threading.Lock()
    original_init = validators.UpdateExpressionValidator.__init__

    def init(validator: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        original_init(validator, expression, *args, **kwargs)
        validator.stepthunk_checked = (
            id(expression),
            tuple(sorted((validator.expression_attribute_names or {}).items())),
            tuple(validator.table.table_key_attrs),
        )
        validator.stepthunk_expression = expression

    def validate(validator: Any) -> Any:
        key, expression = validator.stepthunk_checked, validator.stepthunk_expression
        with lock:
            known = passed.get(key) is expression
        processors = validator.processors
        if known:
            processors = [p for p in processors if not isinstance(p, static)]
        node = validator.node_to_validate
        for processor in processors:
            node = processor.traverse(node)
        if not known:
            with lock:  # kept with its expression, so that its id names no other
                passed[key] = expression
                while len(passed) > CHECKED_EXPRESSIONS:
                    passed.popitem(last=False)
        return node

    def copied(value: Any) -> Any:
        # The validator works on a copy of the parsed expression (which the parser keeps):
        # a pickled copy of each expression is kept, and loaded for each request (6x faster
        # than deepcopy of the tree).
        if not isinstance(value, UpdateExpression):
            return copy.deepcopy(value)
        with lock:
            kept = pickled.get(id(value))
        if kept is None or kept[0] is not value:
            kept = (value, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            with lock:
                pickled[id(value)] = kept
                while len(pickled) > CHECKED_EXPRESSIONS:
                    pickled.popitem(last=False)
        return pickle.loads(kept[1])

    pickled: OrderedDict[int, tuple[Any, bytes]] = OrderedDict()
    validators.deepcopy = copied  # type: ignore[attr-defined,assignment]
    validators.UpdateExpressionValidator.__init__ = init  # type: ignore[method-assign,assignment]
    validators.UpdateExpressionValidator.validate = validate  # type: ignore[method-assign,assignment]
