"""Westgard QC rules for Levey-Jennings charts, as an OpenSPC rule plugin."""

from openspc_westgard.rules import RULES

__all__ = ["RULES"]
