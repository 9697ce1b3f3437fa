"""Tests of the Step Functions engine's promises, on the embedded engine (moto)."""
