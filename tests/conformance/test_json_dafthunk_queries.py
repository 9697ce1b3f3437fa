"""Dafthunk's own cases for the JSON query nodes (json-extract-*), run as workflows.

Each case is one `it(...)` of Dafthunk's json-extract-*-node.test.ts (see ported.py).
Cases of values JSON cannot hold (NaN, Infinity) are left out.
"""

from __future__ import annotations

import pytest

from tests.conformance.ported import ERROR, cases, check

ONE_NODE = True  # every case is a workflow of one node (conftest.py)

PERSON = {"name": "John", "age": 30}
USERS = {
    "data": {
        "users": [
            {
                "id": 1,
                "profile": {
                    "name": "Alice",
                    "contact": {"email": "alice@example.com", "phone": "123-456-7890"},
                },
            },
            {
                "id": 2,
                "profile": {
                    "name": "Bob",
                    "contact": {"email": "bob@example.com", "phone": "098-765-4321"},
                },
            },
        ]
    }
}


STRING_CASES = [
    ("simple path", {"json": {**PERSON, "email": "john@example.com"}, "path": "$.name"},
     {"value": "John", "found": True}),
    ("nested path", {"json": {"user": {"profile": {"name": "Jane Smith"}}},
                     "path": "$.user.profile.name"}, {"value": "Jane Smith", "found": True}),
    ("array path", {"json": {"books": [{"title": "Book 1"}, {"title": "Book 2"}]},
                    "path": "$.books[0].title"}, {"value": "Book 1", "found": True}),
    ("default when not found",
     {"json": PERSON, "path": "$.email", "defaultValue": "default@example.com"},
     {"value": "default@example.com", "found": False}),
    ("empty default", {"json": PERSON, "path": "$.email"}, {"value": "", "found": False}),
    ("null json", {"json": None, "path": "$.name"}, {"value": "", "found": False}),
    ("invalid json", {"json": "not an object", "path": "$.name"}, ERROR),
    ("empty path", {"json": {"name": "John"}, "path": ""}, ERROR),
    ("null path", {"json": {"name": "John"}, "path": None}, ERROR),
    ("first string in array",
     {"json": {"items": [{"value": 42}, {"value": "hello"}, {"value": True},
                         {"value": "world"}]}, "path": "$.items[*].value"},
     {"value": "hello", "found": True}),
    ("complex nested", {"json": USERS, "path": "$.data.users[1].profile.contact.email"},
     {"value": "bob@example.com", "found": True}),
    ("non-string value", {"json": {**PERSON, "active": True}, "path": "$.age"},
     {"value": "", "found": False}),
]  # fmt: skip

NUMBER_CASES = [
    ("simple path", {"json": {**PERSON, "score": 95.5}, "path": "$.age"},
     {"value": 30, "found": True}),
    ("float", {"json": {"user": {"profile": {"stats": {"height": 165.5, "weight": 60.2}}}},
               "path": "$.user.profile.stats.height"}, {"value": 165.5, "found": True}),
    ("zero", {"json": {"settings": {"count": 0, "limit": 100}}, "path": "$.settings.count"},
     {"value": 0, "found": True}),
    ("negative", {"json": {"balance": -150.75, "temperature": -5}, "path": "$.balance"},
     {"value": -150.75, "found": True}),
    ("array path", {"json": {"scores": [{"score": 85}, {"score": 92.5}, {"score": 78}]},
                    "path": "$.scores[1].score"}, {"value": 92.5, "found": True}),
    ("default when not found", {"json": PERSON, "path": "$.score", "defaultValue": 100},
     {"value": 100, "found": False}),
    ("zero default", {"json": PERSON, "path": "$.score"}, {"value": 0, "found": False}),
    ("first number in array",
     {"json": {"items": [{"value": "hello"}, {"value": 42}, {"value": True},
                         {"value": 3.14}]}, "path": "$.items[*].value"},
     {"value": 42, "found": True}),
    ("null json", {"json": None, "path": "$.age"}, ERROR),
    ("invalid json", {"json": "not an object", "path": "$.age"}, ERROR),
    ("empty path", {"json": {"age": 30}, "path": ""}, ERROR),
    ("null path", {"json": {"age": 30}, "path": None}, ERROR),
    ("non-number value", {"json": {"age": "thirty", "active": True}, "path": "$.age"},
     {"value": 0, "found": False}),
    ("complex nested",
     {"json": {"data": {"users": [{"profile": {"stats": {"posts": 42, "engagement": 95.7}}}]}},
      "path": "$.data.users[0].profile.stats.engagement"}, {"value": 95.7, "found": True}),
    ("empty object", {"json": {}, "path": "$.age"}, {"value": 0, "found": False}),
]  # fmt: skip

BOOLEAN_CASES = [
    ("simple path", {"json": {"name": "John", "active": True, "verified": False},
                     "path": "$.active"}, {"value": True, "found": True}),
    ("nested path",
     {"json": {"user": {"profile": {"settings": {"notifications": True, "emailVerified": False}}}},
      "path": "$.user.profile.settings.notifications"}, {"value": True, "found": True}),
    ("false", {"json": {"settings": {"enabled": False, "debug": True}},
               "path": "$.settings.enabled"}, {"value": False, "found": True}),
    ("array path", {"json": {"flags": [{"enabled": True}, {"enabled": False}]},
                    "path": "$.flags[1].enabled"}, {"value": False, "found": True}),
    ("default when not found", {"json": PERSON, "path": "$.active", "defaultValue": True},
     {"value": True, "found": False}),
    ("false default", {"json": PERSON, "path": "$.active"}, {"value": False, "found": False}),
    ("first boolean in array",
     {"json": {"items": [{"value": 42}, {"value": True}, {"value": "hello"},
                         {"value": False}]}, "path": "$.items[*].value"},
     {"value": True, "found": True}),
    ("null json", {"json": None, "path": "$.active"}, ERROR),
    ("invalid json", {"json": "not an object", "path": "$.active"}, ERROR),
    ("empty path", {"json": {"active": True}, "path": ""}, ERROR),
    ("null path", {"json": {"active": True}, "path": None}, ERROR),
    ("non-boolean value", {"json": {"active": "yes"}, "path": "$.active"},
     {"value": False, "found": False}),
    ("complex nested",
     {"json": {"data": {"users": [{"profile": {"settings": {"emailVerified": True}}}]}},
      "path": "$.data.users[0].profile.settings.emailVerified"},
     {"value": True, "found": True}),
    ("empty object", {"json": {}, "path": "$.active"}, {"value": False, "found": False}),
]  # fmt: skip

PROFILE = {"age": 30, "email": "john@example.com", "settings": {"theme": "dark"}}
BOOKS = [{"title": "Book 1", "year": 2020}, {"title": "Book 2", "year": 2021}]
OBJECT_CASES = [
    ("object", {"json": {"name": "John", "profile": PROFILE}, "path": "$.profile"},
     {"value": PROFILE, "found": True}),
    ("array", {"json": {"scores": [85, 92, 78, 95]}, "path": "$.scores"},
     {"value": [85, 92, 78, 95], "found": True}),
    ("nested object", {"json": USERS, "path": "$.data.users[0].profile"},
     {"value": USERS["data"]["users"][0]["profile"], "found": True}),
    ("array of objects", {"json": {"books": BOOKS}, "path": "$.books"},
     {"value": BOOKS, "found": True}),
    ("default when not found",
     {"json": PERSON, "path": "$.profile", "defaultValue": {"default": "value"}},
     {"value": {"default": "value"}, "found": False}),
    ("empty object default", {"json": PERSON, "path": "$.profile"},
     {"value": {}, "found": False}),
    ("first object in array",
     {"json": {"items": [{"value": "hello"}, {"value": {"key": "value"}}, {"value": 42},
                         {"value": [1, 2, 3]}]}, "path": "$.items[*].value"},
     {"value": {"key": "value"}, "found": True}),
    ("null json", {"json": None, "path": "$.profile"}, ERROR),
    ("invalid json", {"json": "not an object", "path": "$.profile"}, ERROR),
    ("empty path", {"json": {"profile": {"name": "John"}}, "path": ""}, ERROR),
    ("null path", {"json": {"profile": {"name": "John"}}, "path": None}, ERROR),
    ("primitive value", {"json": {**PERSON, "active": True}, "path": "$.name"},
     {"value": {}, "found": False}),
    ("empty object", {"json": {}, "path": "$.profile"}, {"value": {}, "found": False}),
    ("empty array", {"json": {"items": [], "data": {"users": []}}, "path": "$.items"},
     {"value": [], "found": True}),
    ("complex nested", {"json": USERS, "path": "$.data.users[0]"},
     {"value": USERS["data"]["users"][0], "found": True}),
    ("null items in arrays",
     {"json": {"items": [{"id": 1, "data": {"name": "Item 1"}}, None, {"id": 3}]},
      "path": "$.items[0]"}, {"value": {"id": 1, "data": {"name": "Item 1"}}, "found": True}),
]  # fmt: skip

DOCUMENT = {"items": [{"name": "first", "qty": 1}, {"name": "second", "qty": 2}],
            "order": {"lines": [10, 20, 30]}}  # fmt: skip
ALL_CASES = [
    ("[*]", {"json": DOCUMENT, "path": "$.items[*]"},
     {"values": DOCUMENT["items"], "count": 2, "isValid": True}),
    ("[*].prop", {"json": DOCUMENT, "path": "$.items[*].name"},
     {"values": ["first", "second"], "count": 2}),
    ("parent.child[*]", {"json": DOCUMENT, "path": "$.order.lines[*]"},
     {"values": [10, 20, 30]}),
    ("plain path", {"json": DOCUMENT, "path": "$.items[0].name"},
     {"values": ["first"], "count": 1}),
    ("root", {"json": DOCUMENT, "path": "$"}, {"values": [DOCUMENT]}),
    ("no match", {"json": DOCUMENT, "path": "$.missing[*]"}, {"values": [], "count": 0}),
    ("lacking property", {"json": {"items": [{"name": "a"}, {"other": "b"}]},
                          "path": "$.items[*].name"}, {"values": ["a"]}),
    ("null json", {"json": None, "path": "$.a"}, {"isValid": False, "values": []}),
    ("no path", {"json": DOCUMENT}, {"values": [], "isValid": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    "case",
    cases("json-extract-string", STRING_CASES)
    + cases("json-extract-number", NUMBER_CASES)
    + cases("json-extract-boolean", BOOLEAN_CASES)
    + cases("json-extract-object", OBJECT_CASES)
    + cases("json-extract-all", ALL_CASES),
)
def test_dafthunk_query_case(engine, case):
    check(engine, case)
