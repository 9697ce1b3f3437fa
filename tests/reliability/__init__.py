"""Tests that try hard to break stepthunk: faults, bad input, tenancy and load."""
