"""``python -m openspc_sparkplug --group G --node N ...``: the simulator without the kernel CLI."""

from openspc_sparkplug.cli import simulate

simulate()
