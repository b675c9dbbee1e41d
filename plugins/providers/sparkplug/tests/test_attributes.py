"""The pairing of a Sparkplug count with its size metric, without I/O (the pipeline checks
counts and sizes: tests/engine/test_chart_types.py)."""

from openspc_sparkplug.attributes import SizeValues
from openspc_sparkplug.host import TagValue


def test_a_count_takes_the_size_of_its_timestamp_else_the_latest():
    sizes = SizeValues()
    assert sizes.size("s", 1, False) is None  # never seen
    sizes.take([TagValue("s", 1, 50.0, False), TagValue("c", 1, 3.0, False)], {"s"})
    assert sizes.size("s", 1, False) == 50.0
    sizes.take(
        [
            TagValue("c", 2, 4.0, False),  # its size comes later in the same message
            TagValue("s", 2, 40.0, False),
            TagValue("s", 3, 30.0, False),
        ],
        {"s"},
    )
    assert sizes.size("s", 2, False) == 40.0
    sizes.take([TagValue("c", 4, 4.0, False)], {"s"})  # report by exception: unchanged
    assert sizes.size("s", 4, False) == 30.0
    sizes.take([TagValue("s", 0, 20.0, True)], {"s"})  # historical values apart
    assert sizes.size("s", 0, True) == 20.0 and sizes.size("s", 5, False) == 30.0
