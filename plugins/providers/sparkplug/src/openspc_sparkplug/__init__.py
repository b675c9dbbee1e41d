"""Sparkplug B (and plain MQTT) for OpenSPC: codec, topics, host session logic, simulator."""
