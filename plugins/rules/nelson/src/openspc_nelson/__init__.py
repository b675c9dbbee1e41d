"""The eight Nelson rules (``nelson.1`` … ``nelson.8``) as an OpenSPC rule plugin."""

from openspc_nelson.rules import RULES

__all__ = ["RULES"]
