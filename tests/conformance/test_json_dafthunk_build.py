"""Dafthunk's own cases for json-merge, json-agg, json-object-agg, json-flatten,
json-strip-nulls and json-template, as workflows.

Each case is one `it(...)` of Dafthunk's node test (see ported.py). Null and undefined
are both "not given" here (a null result is not produced); JavaScript-only values
(functions, undefined items) are left out, and a Date is the ISO-8601 text it travels as.
"""

from __future__ import annotations

import pytest

from tests.conformance.ported import ABSENT, ERROR, cases, check

ONE_NODE = True  # every case is a workflow of one node (conftest.py)

MERGE_CASES = [
    ("null input", {"objects": None}, {"result": {}, "count": 0, "success": False}),
    ("string input", {"objects": "not an array"}, {"result": {}}),
    ("empty array", {"objects": []}, {"result": {}}),
    ("simple objects", {"objects": [{"name": "John", "age": 30},
                                    {"city": "New York", "country": "USA"}]},
     {"result": {"name": "John", "age": 30, "city": "New York", "country": "USA"}}),
    ("several objects", {"objects": [{"name": "John"}, {"age": 30}, {"city": "New York"},
                                     {"country": "USA"}]},
     {"result": {"name": "John", "age": 30, "city": "New York", "country": "USA"},
      "count": 4}),
    ("last wins", {"objects": [{"name": "John", "age": 30},
                               {"name": "Jane", "city": "New York"}]},
     {"result": {"name": "Jane", "age": 30, "city": "New York"}}),
    ("null items", {"objects": [{"name": "John"}, {"age": 30}, {"city": "New York"}, None]},
     {"result": {"name": "John", "age": 30, "city": "New York"}}),
    ("nested objects", {"objects": [{"user": {"name": "John", "age": 30}},
                                    {"user": {"age": 31, "city": "New York"}}]},
     {"result": {"user": {"name": "John", "age": 31, "city": "New York"}}}),
    ("deep", {"objects": [{"user": {"name": "John", "age": 30}},
                          {"user": {"age": 31, "city": "New York"}}], "deep": True},
     {"result": {"user": {"name": "John", "age": 31, "city": "New York"}}}),
    ("shallow", {"objects": [{"user": {"name": "John", "age": 30}},
                             {"user": {"age": 31, "city": "New York"}}], "deep": False},
     {"result": {"user": {"age": 31, "city": "New York"}}}),
    ("complex deep", {"objects": [
        {"user": {"profile": {"name": "John", "theme": "dark"},
                  "settings": {"notifications": True}}},
        {"user": {"profile": {"age": 30, "theme": "light"}, "settings": {"autoSave": True}}},
    ], "deep": True},
     {"result": {"user": {"profile": {"name": "John", "age": 30, "theme": "light"},
                          "settings": {"notifications": True, "autoSave": True}}}}),
    ("arrays replaced", {"objects": [{"items": ["apple", "banana"], "tags": ["fruit"]},
                                     {"items": ["cherry"], "tags": ["red"]}], "deep": True},
     {"result": {"items": ["cherry"], "tags": ["red"]}}),
    ("null overwrites", {"objects": [{"user": {"name": "John", "age": 30}},
                                     {"user": {"name": None, "city": "New York"}}],
                         "deep": True},
     {"result": {"user": {"name": None, "age": 30, "city": "New York"}}}),
    ("mixed value types", {"objects": [{"string": "hello", "number": 42},
                                       {"boolean": True, "null": None},
                                       {"array": [1, 2, 3], "object": {"nested": "value"}}]},
     {"result": {"string": "hello", "number": 42, "boolean": True, "null": None,
                 "array": [1, 2, 3], "object": {"nested": "value"}}}),
    ("dates", {"objects": [{"created": "2023-01-01T00:00:00.000Z"},
                           {"updated": "2023-12-31T00:00:00.000Z"}]},
     {"result": {"created": "2023-01-01T00:00:00.000Z", "updated": "2023-12-31T00:00:00.000Z"}}),
    ("numeric keys", {"objects": [{"1": "one", "2": "two"}, {"3": "three", "4": "four"}]},
     {"result": {"1": "one", "2": "two", "3": "three", "4": "four"}}),
    ("mixed items", {"objects": ["string", 42, True, {"name": "John"}, {"age": 30},
                                 {"city": "New York"}, None]},
     {"result": {"name": "John", "age": 30, "city": "New York"}}),
]  # fmt: skip

AGG_CASES = [
    ("single value", {"values": "test"}, {"result": ["test"]}),
    ("several values", {"values": ["a", "b", "c"]}, {"result": ["a", "b", "c"]}),
    ("mixed types", {"values": ["string", 42, True, {"key": "value"}]},
     {"result": ["string", 42, True, {"key": "value"}]}),
    ("nulls left out", {"values": ["a", None, "b", "c"]}, {"result": ["a", "b", "c"]}),
    ("null input", {"values": None}, {"result": []}),
    ("empty array", {"values": []}, {"result": []}),
]  # fmt: skip

OBJECT_AGG_CASES = [
    ("single object pair", {"pairs": {"key": "name", "value": "John"}},
     {"result": {"name": "John"}}),
    ("single array pair", {"pairs": ["age", 30]}, {"result": {"age": 30}}),
    ("several pairs", {"pairs": [{"key": "name", "value": "John"}, {"key": "age", "value": 30},
                                 {"key": "city", "value": "New York"}]},
     {"result": {"name": "John", "age": 30, "city": "New York"}}),
    ("mixed formats", {"pairs": [{"key": "name", "value": "John"}, ["age", 30],
                                 {"key": "active", "value": True}]},
     {"result": {"name": "John", "age": 30, "active": True}}),
    ("later wins", {"pairs": [{"key": "name", "value": "John"},
                              {"key": "name", "value": "Jane"}, {"key": "age", "value": 30}]},
     {"result": {"name": "Jane", "age": 30}}),
    ("null pairs left out", {"pairs": [{"key": "name", "value": "John"}, None,
                                       {"key": "age", "value": 30}]},
     {"result": {"name": "John", "age": 30}}),
    ("null input", {"pairs": None}, {"result": {}}),
    ("empty array", {"pairs": []}, {"result": {}}),
    ("invalid pair", {"pairs": {"invalid": "format"}}, ERROR),
    ("incomplete array pair", {"pairs": ["incomplete"]}, ERROR),
    ("one invalid among valid", {"pairs": [{"key": "name", "value": "John"},
                                           {"invalid": "format"}, {"key": "age", "value": 30}]},
     ERROR),
]  # fmt: skip

ITEMS = {"items": [{"name": "item1", "value": 10}, {"name": "item2", "value": 20}]}
FLATTEN_CASES = [
    ("default separator", {"value": {"a": 1, "b": {"c": 2, "d": {"e": 3}}, "f": [4, 5, 6]}},
     {"result": {"a": 1, "b.c": 2, "b.d.e": 3, "f": [4, 5, 6]}}),
    ("custom separator", {"value": {"a": 1, "b": {"c": 2}}, "separator": "_"},
     {"result": {"a": 1, "b_c": 2}}),
    ("arrays kept", {"value": ITEMS}, {"result": ITEMS}),
    ("arrays flattened", {"value": ITEMS, "includeArrays": True},
     {"result": {"items[0].name": "item1", "items[0].value": 10, "items[1].name": "item2",
                 "items[1].value": 20}}),
    ("string", {"value": "test string"}, {"result": "test string"}),
    ("number", {"value": 42}, {"result": 42}),
    ("null", {"value": None}, {"result": ABSENT}),
    ("empty object", {"value": {}}, {"result": {}}),
    ("empty array", {"value": []}, {"result": []}),
    ("complex", {"value": {"user": {"name": "John", "address": {"street": "123 Main St",
                                                                "city": "Anytown"},
                                    "hobbies": ["reading", "swimming"]}, "active": True}},
     {"result": {"user.name": "John", "user.address.street": "123 Main St",
                 "user.address.city": "Anytown", "user.hobbies": ["reading", "swimming"],
                 "active": True}}),
]  # fmt: skip

NULLS = {"a": 1, "b": None, "c": [1, None, 2], "d": {"x": None, "y": "string"}}
STRIP_CASES = [
    ("object", {"value": {"a": 1, "b": None, "c": "string", "d": None}},
     {"result": {"a": 1, "c": "string"}, "nullsRemoved": 2}),
    ("array", {"value": ["a", None, 1, None, "b"]}, {"result": ["a", 1, "b"]}),
    ("nested", {"value": NULLS}, {"result": {"a": 1, "c": [1, 2], "d": {"y": "string"}}}),
    ("recursive", {"value": NULLS, "recursive": True},
     {"result": {"a": 1, "c": [1, 2], "d": {"y": "string"}}, "nullsRemoved": 3}),
    ("null", {"value": None}, {"result": ABSENT}),
    ("string", {"value": "test string"}, {"result": "test string"}),
    ("empty object", {"value": {}}, {"result": {}}),
    ("empty array", {"value": []}, {"result": []}),
]  # fmt: skip

ROLES = {"user": {"id": "${userId}", "roles": ["${role1}", "${role2}"]},
         "settings": {"enabled": "${enabled}", "timeout": "${timeout}"}}  # fmt: skip
TEMPLATE_CASES = [
    ("simple", {"template": {"name": "${firstName} ${lastName}", "age": "${age}",
                             "email": "${email}"},
                "variables": {"firstName": "John", "lastName": "Doe", "age": 30,
                              "email": "john@example.com"}},
     {"result": {"name": "John Doe", "age": "30", "email": "john@example.com"},
      "missingVariables": []}),
    ("nested", {"template": {"user": {"profile": {"name": "${firstName} ${lastName}",
                                                  "contact": {"phone": "${phone}"}},
                                      "settings": {"theme": "${theme}"}}},
                "variables": {"firstName": "Jane", "lastName": "Smith",
                              "phone": "123-456-7890", "theme": "dark"}},
     {"result": {"user": {"profile": {"name": "Jane Smith",
                                      "contact": {"phone": "123-456-7890"}},
                          "settings": {"theme": "dark"}}}, "missingVariables": []}),
    ("arrays", {"template": {"items": [{"name": "${item1}", "price": "${price1}"},
                                       {"name": "${item2}", "price": "${price2}"}],
                             "total": "${total}"},
                "variables": {"item1": "Apple", "price1": 1.99, "item2": "Banana",
                              "price2": 0.99, "total": 5.47}},
     {"result": {"items": [{"name": "Apple", "price": "1.99"},
                           {"name": "Banana", "price": "0.99"}], "total": "5.47"}}),
    ("missing variables", {"template": {"name": "${firstName} ${lastName}", "age": "${age}",
                                        "email": "${email}", "phone": "${phone}"},
                           "variables": {"firstName": "John", "lastName": "Doe", "age": 30}},
     {"result": {"name": "John Doe", "age": "30", "email": "${email}", "phone": "${phone}"},
      "missingVariables": ["email", "phone"]}),
    ("null variable", {"template": {"name": "${name}", "description": "${description}"},
                       "variables": {"name": "Test Item", "description": None}},
     {"result": {"name": "Test Item", "description": ""}, "missingVariables": []}),
    ("empty template", {"template": {}, "variables": {"name": "John", "age": 30}},
     {"result": {}, "missingVariables": []}),
    ("empty variables", {"template": {"name": "${firstName} ${lastName}", "age": "${age}"},
                         "variables": {}},
     {"result": {"name": "${firstName} ${lastName}", "age": "${age}"},
      "missingVariables": ["firstName", "lastName", "age"]}),
    ("null template", {"template": None, "variables": {"name": "John"}}, ERROR),
    ("text template", {"template": "not an object", "variables": {"name": "John"}}, ERROR),
    ("null variables", {"template": {"name": "${name}"}, "variables": None}, ERROR),
    ("text variables", {"template": {"name": "${name}"}, "variables": "not an object"}, ERROR),
    ("repeated variables", {"template": {"name": "${firstName}",
                                         "fullName": "${firstName} ${lastName}",
                                         "greeting": "Hello ${firstName}!"},
                            "variables": {"firstName": "John", "lastName": "Doe"}},
     {"result": {"name": "John", "fullName": "John Doe", "greeting": "Hello John!"},
      "missingVariables": []}),
    ("complex with arrays", {"template": ROLES,
                             "variables": {"userId": 123, "role1": "admin", "role2": "user",
                                           "enabled": True, "timeout": 5000}},
     {"result": {"user": {"id": "123", "roles": ["admin", "user"]},
                 "settings": {"enabled": "true", "timeout": "5000"}}}),
    ("special characters", {"template": {"message": "Hello ${name}! Your ID is ${userId}.",
                                         "data": {"user-id": "${userId}"}},
                            "variables": {"name": "John Doe", "userId": "12345"}},
     {"result": {"message": "Hello John Doe! Your ID is 12345.",
                 "data": {"user-id": "12345"}}}),
]  # fmt: skip


@pytest.mark.parametrize(
    "case",
    cases("json-merge", MERGE_CASES)
    + cases("json-agg", AGG_CASES)
    + cases("json-object-agg", OBJECT_AGG_CASES)
    + cases("json-flatten", FLATTEN_CASES)
    + cases("json-strip-nulls", STRIP_CASES)
    + cases("json-template", TEMPLATE_CASES),
)
def test_dafthunk_build_case(engine, case):
    check(engine, case)
