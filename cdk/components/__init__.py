"""The stack's constructs, one per concern (named `components`: `constructs` is the CDK library's
package, and `parts` are the part machines of a large workflow, statemachine/parts.py)."""
