"""Test kit for OpenSPC plugins: the rule conformance suite and shared fixtures."""
