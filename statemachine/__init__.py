"""Workflow model, validation, planner and (later) the ASL compiler: pure, stdlib + pydantic only."""
