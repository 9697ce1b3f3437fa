"""Workflow model, validation, planner and ASL compiler: pure, stdlib + pydantic only."""
