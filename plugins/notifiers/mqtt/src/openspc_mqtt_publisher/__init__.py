"""OpenSPC MQTT publisher: SPC results as a Sparkplug B edge node, or as JSON events."""
