"""Dafthunk's own cases for json-set, json-insert, json-replace and json-remove, as workflows.

Each case is one `it(...)` of Dafthunk's node test (see ported.py). A JavaScript Date
value is given as the ISO-8601 text it travels as in JSON; function values are left out.
"""

from __future__ import annotations

import pytest

from tests.conformance.ported import ABSENT, cases, check

ONE_NODE = True  # every case is a workflow of one node (conftest.py)

JOHN = {"name": "John", "age": 30}
FRUIT = {"items": ["apple", "banana", "cherry"]}
COMPLEX = {
    "string": "test",
    "number": 42,
    "boolean": True,
    "null": None,
    "array": [1, 2, 3],
    "object": {"nested": "value"},
}
DATE = "2024-01-01T00:00:00.000Z"

SET_CASES = [
    ("null input", {"json": None, "path": "$.newField", "value": "test value"},
     {"result": {"newField": "test value"}}),
    ("string at root", {"json": JOHN, "path": "$.city", "value": "New York"},
     {"result": {**JOHN, "city": "New York"}}),
    ("update existing", {"json": JOHN, "path": "$.age", "value": 31},
     {"result": {"name": "John", "age": 31}}),
    ("nested field", {"json": {"user": {"name": "John"}}, "path": "$.user.age", "value": 30},
     {"result": {"user": {"name": "John", "age": 30}}}),
    ("array element", {"json": FRUIT, "path": "$.items[1]", "value": "orange"},
     {"result": {"items": ["apple", "orange", "cherry"]}}),
    ("deeply nested", {"json": {"data": {"items": ["apple", "banana"]}},
                       "path": "$.data.items[2]", "value": "cherry"},
     {"result": {"data": {"items": ["apple", "banana", "cherry"]}}}),
    ("number", {"json": {"name": "John"}, "path": "$.age", "value": 30},
     {"result": {"name": "John", "age": 30}}),
    ("boolean", {"json": {"name": "John"}, "path": "$.active", "value": True},
     {"result": {"name": "John", "active": True}}),
    ("null value", {"json": JOHN, "path": "$.age", "value": None},
     {"result": {"name": "John", "age": None}}),
    ("object value", {"json": {"name": "John"}, "path": "$.address",
                      "value": {"street": "123 Main St", "city": "New York"}},
     {"result": {"name": "John", "address": {"street": "123 Main St", "city": "New York"}}}),
    ("array value", {"json": {"name": "John"}, "path": "$.hobbies",
                     "value": ["reading", "swimming"]},
     {"result": {"name": "John", "hobbies": ["reading", "swimming"]}}),
    ("empty object", {"json": {}, "path": "$.newField", "value": "test value"},
     {"result": {"newField": "test value"}}),
    ("dashed key", {"json": {"user-name": "John"}, "path": "$.user-name", "value": "Jane"},
     {"result": {"user-name": "Jane"}}),
    ("complex value", {"json": {"data": {}}, "path": "$.data.complex", "value": COMPLEX},
     {"result": {"data": {"complex": COMPLEX}}}),
    ("date value", {"json": {"name": "John"}, "path": "$.created", "value": DATE},
     {"result": {"name": "John", "created": DATE}}),
    ("simple path", {"json": JOHN, "path": "city", "value": "New York"},
     {"result": {**JOHN, "city": "New York"}}),
    ("append", {"json": FRUIT, "path": "$.items[3]", "value": "orange"},
     {"result": {"items": ["apple", "banana", "cherry", "orange"]}}),
]  # fmt: skip

INSERT_CASES = [
    ("null input", {"json": None, "path": "$.newField", "value": "test value"},
     {"result": {"newField": "test value"}}),
    ("string at root", {"json": JOHN, "path": "$.city", "value": "New York"},
     {"result": {**JOHN, "city": "New York"}}),
    ("number at root", {"json": {"name": "John"}, "path": "$.age", "value": 25},
     {"result": {"name": "John", "age": 25}}),
    ("update existing", {"json": JOHN, "path": "$.age", "value": 31},
     {"result": {"name": "John", "age": 31}}),
    ("nested field", {"json": {"user": {"name": "John"}}, "path": "$.user.age", "value": 30},
     {"result": {"user": {"name": "John", "age": 30}}}),
    ("deeply nested", {"json": {"user": JOHN}, "path": "$.user.address.city",
                       "value": "New York"},
     {"result": {"user": {**JOHN, "address": {"city": "New York"}}}}),
    ("array index", {"json": FRUIT, "path": "$.items[1]", "value": "orange"},
     {"result": {"items": ["apple", "orange", "cherry"]}}),
    ("append", {"json": {"items": ["apple", "banana"]}, "path": "$.items[2]",
                "value": "cherry"}, {"result": FRUIT}),
    ("simple path", {"json": {"name": "John"}, "path": "newField", "value": "test value"},
     {"result": {"name": "John", "newField": "test value"}}),
    ("empty object", {"json": {}, "path": "$.newField", "value": "test value"},
     {"result": {"newField": "test value"}}),
    ("nested array", {"json": {"users": [{"name": "John", "profile": {"theme": "dark"}},
                                         {"name": "Jane", "profile": {"theme": "light"}}]},
                      "path": "$.users[0].profile.notifications", "value": True},
     {"result": {"users": [{"name": "John", "profile": {"theme": "dark", "notifications": True}},
                           {"name": "Jane", "profile": {"theme": "light"}}]}}),
    ("complex value", {"json": {"data": {}}, "path": "$.data.complex", "value": COMPLEX},
     {"result": {"data": {"complex": COMPLEX}}}),
]  # fmt: skip

USERS = {"users": [{"name": "John", "profile": {"theme": "dark", "notifications": True,
                                                "settings": {"autoSave": True}}}]}  # fmt: skip
REPLACE_CASES = [
    ("null input", {"json": None, "path": "$.newField", "value": "test value"},
     {"result": {"newField": "test value"}}),
    ("string at root", {"json": JOHN, "path": "$.name", "value": "Jane"},
     {"result": {"name": "Jane", "age": 30}}),
    ("number at root", {"json": JOHN, "path": "$.age", "value": 31},
     {"result": {"name": "John", "age": 31}}),
    ("nested field", {"json": {"user": JOHN}, "path": "$.user.name", "value": "Jane"},
     {"result": {"user": {"name": "Jane", "age": 30}}}),
    ("array element", {"json": FRUIT, "path": "$.items[1]", "value": "orange"},
     {"result": {"items": ["apple", "orange", "cherry"]}}),
    ("last array element", {"json": FRUIT, "path": "$.items[2]", "value": "orange"},
     {"result": {"items": ["apple", "banana", "orange"]}}),
    ("dashed key", {"json": {"user-name": "John", "age": 30}, "path": "$.user-name",
                    "value": "Jane"}, {"result": {"user-name": "Jane", "age": 30}}),
    ("non-existent path", {"json": JOHN, "path": "$.nonexistent", "value": "test"},
     {"result": {**JOHN, "nonexistent": "test"}}),
    ("complex nested", {"json": USERS, "path": "$.users[0].profile.theme", "value": "light"},
     {"result": {"users": [{"name": "John", "profile": {"theme": "light", "notifications": True,
                                                        "settings": {"autoSave": True}}}]}}),
    ("complex value", {"json": {"data": {"string": "old", "number": 42}}, "path": "$.data",
                       "value": COMPLEX}, {"result": {"data": COMPLEX}}),
    ("date value", {"json": {"name": "John", "created": "2023-01-01T00:00:00.000Z"},
                    "path": "$.created", "value": DATE},
     {"result": {"name": "John", "created": DATE}}),
    ("simple path", {"json": JOHN, "path": "name", "value": "Jane"},
     {"result": {"name": "Jane", "age": 30}}),
    ("several elements", {"json": {"items": ["apple", "banana", "cherry", "orange"]},
                          "path": "$.items[1]", "value": "grape"},
     {"result": {"items": ["apple", "grape", "cherry", "orange"]}}),
]  # fmt: skip

REMOVE_CASES = [
    ("null input", {"json": None, "path": "$.test"}, {"result": ABSENT, "success": False}),
    ("root field", {"json": JOHN, "path": "$.age"}, {"result": {"name": "John"}}),
    ("one of several", {"json": {**JOHN, "city": "New York"}, "path": "$.age"},
     {"result": {"name": "John", "city": "New York"}}),
    ("nested field", {"json": {"user": JOHN}, "path": "$.user.age"},
     {"result": {"user": {"name": "John"}}}),
    ("last nested field", {"json": {"user": {"name": "John"}}, "path": "$.user.name"},
     {"result": {"user": {}}}),
    ("array element", {"json": FRUIT, "path": "$.items[1]"},
     {"result": {"items": ["apple", "cherry"]}}),
    ("last array element", {"json": FRUIT, "path": "$.items[2]"},
     {"result": {"items": ["apple", "banana"]}}),
    ("dashed key", {"json": {"user-name": "John", "age": 30}, "path": "$.user-name"},
     {"result": {"age": 30}}),
    ("non-existent path", {"json": JOHN, "path": "$.nonexistent"},
     {"result": JOHN, "success": True, "removed": False}),
    ("complex nested", {"json": USERS, "path": "$.users[0].profile.settings"},
     {"result": {"users": [{"name": "John",
                            "profile": {"theme": "dark", "notifications": True}}]}}),
    ("any field", {"json": {**JOHN, "city": "New York", "country": "USA"}, "path": "$.city"},
     {"result": {**JOHN, "country": "USA"}}),
    ("several elements", {"json": {"items": ["apple", "banana", "cherry", "orange"]},
                          "path": "$.items[1]"},
     {"result": {"items": ["apple", "cherry", "orange"]}}),
    ("simple path", {"json": JOHN, "path": "age"}, {"result": {"name": "John"}}),
    ("out of bounds", {"json": {"items": ["apple", "banana"]}, "path": "$.items[5]"},
     {"result": {"items": ["apple", "banana"]}}),
    ("negative index", {"json": FRUIT, "path": "$.items[-1]"},
     {"result": {"items": ["apple", "banana"]}, "removed": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    "case",
    cases("json-set", SET_CASES)
    + cases("json-insert", INSERT_CASES)
    + cases("json-replace", REPLACE_CASES)
    + cases("json-remove", REMOVE_CASES),
)
def test_dafthunk_edit_case(engine, case):
    check(engine, case)
