"""OpenSPC: event-driven Statistical Process Control."""

__version__ = "0.1.0"
