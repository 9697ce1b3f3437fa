"""Conformance of the code nodes (`javascript`, `json-execute-javascript`): what a user sees
for good and bad scripts, and the sandbox's limits, on both engines."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.workflows import edge, node, workflow


def run_node(engine, node_type: str, /, **literals: Any):
    return engine.run(workflow(node("n", node_type, **literals)))


def run_script(engine, script: str, **literals: Any):
    return run_node(engine, "javascript", script=script, **literals)


# javascript: the cases of Dafthunk's own node tests


def test_a_simple_script_gives_its_last_expression(engine):
    result = run_script(engine, "2 + 2")
    assert result.output("n", "result") == 4
    assert result.output("n", "stdout") == ""
    assert result.output("n", "stderr") == ""
    assert "error" not in result.node("n")["outputs"]  # Dafthunk's null: not produced


def test_console_log_is_captured_as_stdout(engine):
    result = run_script(engine, '\n  console.log("Hello, World!");\n  "Script completed"\n')
    assert result.output("n", "result") == "Script completed"
    assert result.output("n", "stdout") == "Hello, World!"
    assert result.output("n", "stderr") == ""


def test_args_are_bound_as_an_array(engine):
    result = run_script(engine, "args", args=["arg1", "arg2"])
    assert result.output("n", "result") == ["arg1", "arg2"]


def test_a_script_works_with_its_args(engine):
    script = """
      console.log('Processing values:', args.join(', '));
      args.map(x => x.toUpperCase())
    """
    result = run_script(engine, script, args=["hello", "world", "javascript"])
    assert result.output("n", "result") == ["HELLO", "WORLD", "JAVASCRIPT"]
    assert result.output("n", "stdout") == "Processing values: hello, world, javascript"


def test_an_object_literal_alone_is_the_result(engine):
    result = run_script(engine, "{ name: 'Alice', age: 30 }")
    assert result.output("n", "result") == {"name": "Alice", "age": 30}


def test_a_missing_script_fails(engine):
    result = run_node(engine, "javascript")
    assert result.error("n") == "Missing or empty script."


def test_an_empty_script_fails(engine):
    assert run_script(engine, "   ").error("n") == "Missing or empty script."


def test_an_explicit_return_is_the_result(engine):
    result = run_script(engine, "if (args[0] > 0) return 'pos'; return 'neg';", args=[5])
    assert result.output("n", "result") == "pos"


def test_a_script_that_outlives_its_timeout_fails(engine):
    result = run_script(
        engine, "await new Promise(r => setTimeout(r, 1000)); return 1;", timeout=50
    )
    assert "timed out" in result.error("n")


# javascript: ours


def test_a_timer_due_within_the_timeout_fires(engine):
    result = run_script(engine, "await new Promise(r => setTimeout(() => r('late'), 20))")
    assert result.output("n", "result") == "late"


def test_warnings_and_errors_are_stderr(engine):
    result = run_script(engine, "console.warn('careful'); console.error('broken', 2); 'done'")
    assert result.output("n", "stdout") == ""
    assert result.output("n", "stderr") == "careful\nbroken 2"


def test_a_script_ending_in_a_statement_runs_without_a_result(engine):
    result = run_script(
        engine, "let total = 0;\nfor (const n of args) { total += n; }", args=[1, 2]
    )
    assert result.status == "completed"
    assert "result" not in result.node("n")["outputs"]  # undefined: not produced


def test_a_thrown_error_fails_the_node_with_its_message(engine):
    result = run_script(engine, "throw new Error('the total is negative')")
    assert result.error("n") == "Script execution error: the total is negative"


def test_a_syntax_error_fails_the_node(engine):
    assert run_script(engine, "let = ;").error("n").startswith("Script execution error: ")


def test_args_that_are_not_an_array_fail(engine):
    result = run_script(engine, "args", args={"a": 1})
    assert result.error("n") == "Arguments must be an array of strings."


def test_a_script_reads_upstream_values(engine):
    flow = workflow(
        node("list", "json-input", json=[3, 4]),
        node("n", "javascript", script="args.reduce((a, b) => a * b, 1)"),
        edges=[edge("list.json", "n.args")],
    )
    assert engine.run(flow).output("n", "result") == 12


# json-execute-javascript: the cases of Dafthunk's own node tests


def run_json(engine, value: Any, script: str, **literals: Any):
    return run_node(engine, "json-execute-javascript", json=value, javascript=script, **literals)


def test_json_is_bound_and_the_last_expression_is_the_result(engine):
    result = run_json(engine, {"name": "Ada", "age": 36}, "({ ...json, age: json.age + 1 })")
    assert result.output("n", "result") == {"name": "Ada", "age": 37}
    assert "error" not in result.node("n")["outputs"]  # Dafthunk's null: not produced


def test_an_array_can_be_transformed(engine):
    result = run_json(engine, [1, 2, 3], "json.map(x => x * 2)")
    assert result.output("n", "result") == [2, 4, 6]


def test_a_multi_statement_script_returns_its_last_expression(engine):
    script = "const total = json.items.reduce((s, i) => s + i.price, 0);\ntotal * 2"
    result = run_json(engine, {"items": [{"price": 2}, {"price": 3}]}, script)
    assert result.output("n", "result") == 10


def test_missing_json_fails(engine):
    result = run_node(engine, "json-execute-javascript", javascript="json")
    assert result.error("n") == "Missing JSON input object."


def test_a_missing_script_for_json_fails(engine):
    result = run_node(engine, "json-execute-javascript", json={"a": 1})
    assert result.error("n") == "Missing or empty script."


def test_a_runtime_error_on_json_fails(engine):
    result = run_json(engine, {"a": 1}, "json.missing.deeper")
    assert result.error("n").startswith("Script execution error: ")
    assert "undefined" in result.error("n")


# The sandbox


def test_an_endless_loop_fails_the_node_and_the_group_goes_on(engine):
    # All three are inlinable and ready together: one inline group, one task.
    flow = workflow(
        node("loop", "javascript", script="while (true) {}", timeout=200),
        node("after", "string-to-upper-case", string="next"),
        node("n", "javascript", script="'still running'"),
    )
    result = engine.run(flow)
    assert result.error("loop") == "Script execution error: Execution timed out"
    assert result.output("after") == "NEXT"
    assert result.output("n") == "still running"


def test_a_huge_allocation_fails_the_node(engine):
    script = "const chunks = []; while (true) { chunks.push(new Array(1e6).fill(7)); }"
    result = run_script(engine, script, timeout=10_000)
    assert result.error("n") == (
        "Script execution error: Out of memory: a script may use at most 64 MB"
    )


@pytest.mark.parametrize(
    "script", ["new ArrayBuffer(2 ** 30).byteLength", "'x'.repeat(2 ** 30 - 1).length"]
)
def test_a_one_gigabyte_allocation_fails_the_node(engine, script):
    result = run_script(engine, script, timeout=10_000)
    assert result.error("n") == (
        "Script execution error: Out of memory: a script may use at most 64 MB"
    )


@pytest.mark.parametrize(
    ("script", "missing"),
    [
        ("await fetch('http://127.0.0.1:9/')", "fetch"),
        ("require('fs').readFileSync('/etc/passwd', 'utf8')", "require"),
        ("new XMLHttpRequest()", "XMLHttpRequest"),
        ("std.loadFile('/etc/passwd')", "std"),
        ("os.open('/etc/passwd')", "os"),
    ],
)
def test_a_script_has_no_network_and_no_files(engine, script, missing):
    result = run_script(engine, script)
    assert result.error("n") == f"Script execution error: {missing} is not defined"


def test_a_dynamic_import_of_a_file_fails(engine):
    result = run_script(engine, "await import('/etc/passwd')")
    assert result.error("n") == "Script execution error: could not load module '/etc/passwd'"


def test_one_script_never_sees_another_scripts_globals(engine):
    flow = workflow(
        node("a", "javascript", script="globalThis.leaked = 'secret'; [1]"),
        node("b", "javascript", script="typeof leaked"),
        edges=[edge("a.result", "b.args")],
    )
    result = engine.run(flow)
    assert result.output("b", "result") == "undefined"


def test_a_timeout_beyond_the_task_is_refused(engine):
    result = run_script(engine, "1", timeout=10_000_000)
    assert "more than the 290000 ms" in str(result.record)


USERS = {
    "users": [
        {"name": "Alice", "age": 25, "score": 85},
        {"name": "Bob", "age": 30, "score": 92},
        {"name": "Charlie", "age": 28, "score": 78},
    ]
}


@pytest.mark.parametrize(
    ("value", "script", "expected"),
    [
        (
            {"name": "John", "age": 30},
            "json.name + ' is ' + json.age + ' years old'",
            "John is 30 years old",
        ),
        (
            {"user": {"name": "Alice", "age": 25, "preferences": {"theme": "dark"}}},
            """{
      name: json.user.name,
      age: json.user.age,
      theme: json.user.preferences.theme,
      isAdult: json.user.age >= 18
    }""",
            {"name": "Alice", "age": 25, "theme": "dark", "isAdult": True},
        ),
        (
            {"numbers": [1, 2, 3, 4, 5], "names": ["Alice", "Bob", "Charlie"]},
            "json.numbers.map(n => n * 2).filter(n => n > 5)",
            [6, 8, 10],
        ),
        (
            {"prices": [10.99, 24.5, 15.75, 8.25], "tax": 0.08},
            """{
      total: json.prices.reduce((sum, price) => sum + price, 0),
      average: json.prices.reduce((sum, price) => sum + price, 0) / json.prices.length,
      withTax: json.prices.reduce((sum, price) => sum + price, 0) * (1 + json.tax)
    }""",
            {"total": 59.49, "average": 14.8725, "withTax": 64.2492},
        ),
        (
            USERS,
            """{
      totalUsers: json.users.length,
      averageAge: json.users.reduce((sum, user) => sum + user.age, 0) / json.users.length,
      topScorer: json.users.reduce((top, user) => user.score > top.score ? user : top),
      names: json.users.map(user => user.name)
    }""",
            {
                "totalUsers": 3,
                "averageAge": 27.666666666666668,
                "topScorer": {"name": "Bob", "age": 30, "score": 92},
                "names": ["Alice", "Bob", "Charlie"],
            },
        ),
        (
            {"user": {"age": 25, "verified": True, "premium": False}},
            "json.user.age >= 18 && json.user.verified && !json.user.premium",
            True,
        ),
        ({"numbers": [1, 2, 3, 4, 5]}, "json.numbers.reduce((sum, num) => sum + num, 0)", 15),
        (
            {"message": "Hello World", "name": "John Doe"},
            """{
      upperMessage: json.message.toUpperCase(),
      lowerName: json.name.toLowerCase(),
      nameLength: json.name.length,
      words: json.message.split(' ')
    }""",
            {
                "upperMessage": "HELLO WORLD",
                "lowerName": "john doe",
                "nameLength": 8,
                "words": ["Hello", "World"],
            },
        ),
    ],
)
def test_dafthunks_json_script_cases(engine, value, script, expected):
    result = run_json(engine, value, script)
    assert result.output("n", "result") == expected


@pytest.mark.parametrize("script", ["null", "undefined"])
def test_a_script_giving_null_or_undefined_completes_without_a_result(engine, script):
    # Dafthunk's null and undefined results: "not produced" here
    result = run_json(engine, {"name": "John"}, script)
    assert result.status == "completed"
    assert "result" not in result.node("n")["outputs"]


@pytest.mark.parametrize(
    "script", ["json.name + ; // syntax error", "json.nonExistentProperty.someMethod()"]
)
def test_dafthunks_failing_json_scripts(engine, script):
    assert (
        run_json(engine, {"name": "John"}, script).error("n").startswith("Script execution error: ")
    )
