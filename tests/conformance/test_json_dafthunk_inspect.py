"""Dafthunk's own cases for the JSON inspection nodes (keys, values, lengths, types,
validity, membership), as workflows.

Each case is one `it(...)` of Dafthunk's node test (see ported.py). Null and undefined
are both "not given" here; JavaScript-only values (functions, NaN, Infinity, undefined
items) are left out, and a Date is the ISO-8601 text it travels as in JSON.
"""

from __future__ import annotations

import pytest

from tests.conformance.ported import cases, check

ONE_NODE = True  # every case is a workflow of one node (conftest.py)

KEYS_CASES = [
    ("top level", {"json": {"a": 1, "b": 2, "c": 3}},
     {"keys": ["a", "b", "c"], "count": 3, "isValid": True}),
    ("nested path", {"json": {"user": {"name": "ada", "age": 36}}, "path": "$.user"},
     {"keys": ["name", "age"], "count": 2}),
    ("array", {"json": [1, 2, 3]}, {"keys": [], "count": 0}),
    ("primitive", {"json": {"a": 1}, "path": "$.a"}, {"keys": []}),
    ("empty object", {"json": {}}, {"keys": [], "isValid": True}),
    ("missing path", {"json": {"a": 1}, "path": "$.nope"}, {"keys": [], "isValid": True}),
    ("null input", {"json": None}, {"isValid": False, "keys": []}),
]  # fmt: skip

COMPLEX = {"string": "value", "number": 42, "boolean": True, "null": None,
           "array": [1, 2, 3], "object": {"nested": "value"}}  # fmt: skip
NESTED = {"user": {"name": "John", "age": 30}, "settings": {"theme": "dark", "notifications": True},
          "metadata": {"created": "2023-01-01", "version": "1.0.0"}}  # fmt: skip
DATES = {"date1": "2023-01-01T00:00:00.000Z", "date2": "2023-12-31T00:00:00.000Z"}
OBJECT_KEYS_CASES = [
    ("null", {"object": None}, {"keys": []}),
    ("string", {"object": "not an object"}, {"keys": []}),
    ("array", {"object": [1, 2, 3]}, {"keys": []}),
    ("empty object", {"object": {}}, {"keys": []}),
    ("simple object", {"object": {"name": "John", "age": 30, "city": "New York"}},
     {"keys": ["name", "age", "city"]}),
    ("complex object", {"object": COMPLEX}, {"keys": list(COMPLEX)}),
    ("special characters", {"object": {"key-with-dashes": 1, "key_with_underscores": 2,
                                       "keyWithCamelCase": 3, "key with spaces": 4}},
     {"keys": ["key-with-dashes", "key_with_underscores", "keyWithCamelCase",
               "key with spaces"]}),
    ("numeric keys", {"object": {"1": "one", "2": "two", "3": "three"}},
     {"keys": ["1", "2", "3"]}),
    ("unicode keys", {"object": {"café": 1, "über": 2, "ñoño": 3, "🎉": 4}},
     {"keys": ["café", "über", "ñoño", "🎉"]}),
    ("deeply nested", {"object": NESTED}, {"keys": ["user", "settings", "metadata"]}),
    ("dates as values", {"object": DATES}, {"keys": ["date1", "date2"]}),
]  # fmt: skip

MIXED = ["string", 42, True, {"key": "value"}, None]
ARRAYS = {"numbers": [1, 2, 3, 4, 5], "strings": ["a", "b", "c"], "mixed": MIXED,
          "nested": [[1, 2], [3, 4], [5, 6]]}  # fmt: skip
OBJECT_VALUES_CASES = [
    ("null", {"object": None}, {"values": []}),
    ("string", {"object": "not an object"}, {"values": []}),
    ("array", {"object": [1, 2, 3]}, {"values": []}),
    ("empty object", {"object": {}}, {"values": []}),
    ("simple object", {"object": {"name": "John", "age": 30, "city": "New York"}},
     {"values": ["John", 30, "New York"]}),
    ("complex object", {"object": COMPLEX}, {"values": list(COMPLEX.values())}),
    ("strings", {"object": {"key1": "value1", "key2": "value2"}},
     {"values": ["value1", "value2"]}),
    ("numbers", {"object": {"one": 1, "float": 3.14, "negative": -5, "zero": 0}},
     {"values": [1, 3.14, -5, 0]}),
    ("deeply nested", {"object": NESTED}, {"values": list(NESTED.values())}),
    ("dates as values", {"object": DATES}, {"values": list(DATES.values())}),
    ("arrays", {"object": ARRAYS}, {"values": list(ARRAYS.values())}),
    ("booleans", {"object": {"t1": True, "f1": False, "t2": True, "f2": False}},
     {"values": [True, False, True, False]}),
    ("nulls", {"object": {"null1": None, "null2": None}}, {"values": [None, None]}),
]  # fmt: skip

LENGTH_CASES = [
    ("null", {"array": None}, {"length": 0, "isArray": False}),
    ("string", {"array": "not an array"}, {"length": 0}),
    ("object", {"array": {"key": "value"}}, {"length": 0}),
    ("empty array", {"array": []}, {"length": 0, "isArray": True}),
    ("strings", {"array": ["apple", "banana", "cherry"]}, {"length": 3}),
    ("numbers", {"array": [1, 2, 3, 4, 5]}, {"length": 5}),
    ("mixed", {"array": MIXED}, {"length": 5}),
    ("nested", {"array": [[1, 2], [3, 4], [5, 6]]}, {"length": 3}),
    ("objects", {"array": [{"name": "John"}, {"name": "Jane"}]}, {"length": 2}),
    ("single", {"array": ["single"]}, {"length": 1}),
    ("large", {"array": list(range(100))}, {"length": 100}),
    ("booleans", {"array": [True, False, True, True, False]}, {"length": 5}),
    ("null items", {"array": ["a", None, "b", None, "c"]}, {"length": 5}),
    ("negative numbers", {"array": [-1, -2, -3, -4, -5]}, {"length": 5}),
    ("complex objects", {"array": [{"data": [1, 2, 3]}, {"data": [4, 5, 6]}]}, {"length": 2}),
    ("dates", {"array": [DATES["date1"]] * 3}, {"length": 3}),
    ("anything", {"array": [1, "string", True, None, {}, []]}, {"length": 6}),
]  # fmt: skip

TYPEOF_CASES = [
    ("nothing", {"value": None}, {"type": "undefined"}),
    ("array", {"value": [1, 2, 3]}, {"type": "array"}),
    ("object", {"value": {"key": "value"}}, {"type": "object"}),
    ("string", {"value": "test"}, {"type": "string"}),
    ("integer", {"value": 42}, {"type": "number"}),
    ("float", {"value": 3.14}, {"type": "number"}),
    ("true", {"value": True}, {"type": "boolean"}),
    ("false", {"value": False}, {"type": "boolean"}),
    ("complex object", {"value": COMPLEX}, {"type": "object"}),
    ("empty array", {"value": []}, {"type": "array"}),
    ("empty object", {"value": {}}, {"type": "object"}),
    ("empty string", {"value": ""}, {"type": "string"}),
    ("zero", {"value": 0}, {"type": "number"}),
    ("negative", {"value": -42}, {"type": "number"}),
]  # fmt: skip

VALID_CASES = [
    ("simple object", {"value": '{"name": "John", "age": 30}'},
     {"isValid": True, "parsed": {"name": "John", "age": 30}}),
    ("array", {"value": '["apple", "banana", "cherry"]'},
     {"isValid": True, "parsed": ["apple", "banana", "cherry"]}),
    ("nested object", {"value": '{"user": {"name": "John", "age": 30}}'},
     {"isValid": True, "parsed": {"user": {"name": "John", "age": 30}}}),
    ("complex", {"value": '{"users": [{"name": "John"}, {"name": "Jane"}]}'},
     {"isValid": True, "parsed": {"users": [{"name": "John"}, {"name": "Jane"}]}}),
    ("data types", {"value": '{"string": "test", "number": 42, "boolean": true, '
                             '"null": null, "array": [1, 2, 3]}'},
     {"isValid": True, "parsed": {"string": "test", "number": 42, "boolean": True,
                                  "null": None, "array": [1, 2, 3]}}),
    ("empty object", {"value": "{}"}, {"isValid": True, "parsed": {}}),
    ("empty array", {"value": "[]"}, {"isValid": True, "parsed": []}),
    ("whitespace", {"value": '  {  "name"  :  "John"  ,  "age"  :  30  }  '},
     {"isValid": True, "parsed": {"name": "John", "age": 30}}),
    ("escapes", {"value": '{"message": "Hello\\nWorld", "path": "C:\\\\Users\\\\John"}'},
     {"isValid": True, "parsed": {"message": "Hello\nWorld", "path": "C:\\Users\\John"}}),
    ("unicode", {"value": '{"name": "José", "emoji": "🎉"}'},
     {"isValid": True, "parsed": {"name": "José", "emoji": "🎉"}}),
    ("scientific notation", {"value": '{"large": 1.23e+10, "small": 1.23e-10}'},
     {"isValid": True, "parsed": {"large": 1.23e10, "small": 1.23e-10}}),
    ("missing quote", {"value": '{"name": "John, "age": 30}'}, {"isValid": False}),
    ("missing comma", {"value": '{"name": "John" "age": 30}'}, {"isValid": False}),
    ("trailing comma", {"value": '{"name": "John", "age": 30,}'}, {"isValid": False}),
    ("unclosed bracket", {"value": '{"name": "John", "age": 30'}, {"isValid": False}),
    ("undefined", {"value": '{"name": "John", "age": undefined}'}, {"isValid": False}),
    ("single quotes", {"value": "{'name': 'John', 'age': 30}"}, {"isValid": False}),
    ("comments", {"value": '{"name": "John", // comment\n"age": 30}'}, {"isValid": False}),
    ("trailing comma in array", {"value": '["apple", "banana",]'}, {"isValid": False}),
    ("null", {"value": None}, {"isValid": False, "error": "Input value is required"}),
    ("number", {"value": 42}, {"isValid": False, "error": "Input must be a string, got number"}),
    ("object", {"value": {"key": "value"}}, {"isValid": False}),
    ("array input", {"value": [1, 2, 3]}, {"isValid": False}),
    ("boolean", {"value": True}, {"isValid": False}),
    ("empty string", {"value": ""},
     {"isValid": False, "error": "Empty string is not valid JSON"}),
    ("whitespace only", {"value": "   "}, {"isValid": False}),
]  # fmt: skip

PEOPLE = [{"name": "John", "age": 30}, {"name": "Jane", "age": 25}]
CONTAINS_CASES = [
    ("null input", {"json": None, "value": "test"}, {"contains": False, "isValid": False}),
    ("string in array", {"json": ["apple", "banana", "cherry"], "value": "banana"},
     {"contains": True, "isValid": True}),
    ("string not in array", {"json": ["apple", "banana", "cherry"], "value": "orange"},
     {"contains": False, "isValid": True}),
    ("number in array", {"json": [1, 2, 3, 4, 5], "value": 3}, {"contains": True}),
    ("object in array", {"json": PEOPLE, "value": {"name": "Jane", "age": 25}},
     {"contains": True}),
    ("at a path", {"json": {"items": ["apple", "banana"]}, "value": "banana",
                   "path": "$.items"}, {"contains": True}),
    ("at a missing path", {"json": {"items": ["apple", "banana"]}, "value": "banana",
                           "path": "$.nonexistent"}, {"contains": False, "isValid": True}),
    ("nested object", {"json": {"user": {"profile": {"name": "John", "age": 30}}},
                       "value": {"name": "John", "age": 30}, "path": "$.user.profile"},
     {"contains": True}),
    ("array index in path", {"json": {"items": [["a", "b", "c"], ["d", "e", "f"]]},
                             "value": "e", "path": "$.items[1]"}, {"contains": True}),
    ("null search value", {"json": ["apple", "banana"], "value": None},
     {"contains": False, "isValid": True}),
]  # fmt: skip

TREE = {"user": {"name": "ada", "tags": ["math", "code"]}, "count": 0, "empty": None}
CONTAINS_PATH_CASES = [
    ("top level", {"json": TREE, "path": "$.count"}, {"containsPath": True, "isValid": True}),
    ("nested", {"json": TREE, "path": "$.user.name"}, {"containsPath": True}),
    ("array index", {"json": TREE, "path": "$.user.tags[1]"}, {"containsPath": True}),
    ("out of range", {"json": TREE, "path": "$.user.tags[9]"}, {"containsPath": False}),
    ("key holding null", {"json": TREE, "path": "$.empty"}, {"containsPath": True}),
    ("missing", {"json": TREE, "path": "$.user.email"}, {"containsPath": False}),
    ("null input", {"json": None, "path": "$.a"}, {"containsPath": False, "isValid": False}),
    ("no path", {"json": TREE}, {"containsPath": False, "isValid": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    "case",
    cases("json-keys", KEYS_CASES)
    + cases("json-object-keys", OBJECT_KEYS_CASES)
    + cases("json-object-values", OBJECT_VALUES_CASES)
    + cases("json-array-length", LENGTH_CASES)
    + cases("json-typeof", TYPEOF_CASES)
    + cases("json-valid", VALID_CASES)
    + cases("json-contains", CONTAINS_CASES)
    + cases("json-contains-path", CONTAINS_PATH_CASES),
)
def test_dafthunk_inspect_case(engine, case):
    check(engine, case)
