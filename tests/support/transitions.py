"""What each benchmark corpus workflow's execution takes in state transitions when it
completes: read from its compiled definition (tests/unit) and counted in its history
(tests/engine)."""

# workflow -> transitions of an execution that completes
TRANSITIONS = {
    "tiny": 6,
    "20-node mixed": 8,
    "100-way fan-out": 8,
    "200-deep chain": 9,
    "conditional-heavy": 6,
    "fetch-heavy": 7,
    "1,000 nodes": 34,
    "10,000 nodes": 286,
    "10 MiB payload": 6,
    "secrets-using": 7,
    "secret waves": 9,
}
