"""Attribute counts and their sizes, without I/O: the checks the pipeline would make, as
counted drop reasons, and the pairing of a Sparkplug count with its size metric."""

import math

import pytest

from openspc_sparkplug.attributes import SizeValues, count_problem
from openspc_sparkplug.bindings import Binding
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.host import TagValue

P = Binding(1, 50, "p", "size")
NP = Binding(2, 50, "np")
C = Binding(3, 1, "c")
U = Binding(4, 2, "u", "size")


@pytest.mark.parametrize(
    ("binding", "count", "size", "reason"),
    [
        (P, 5, 40.0, None),
        (P, 5, None, None),  # the fixed size
        (P, 40, 40.0, None),
        (P, 41, 40.0, DropReason.BAD_COUNT),
        (P, 2.5, 40.0, DropReason.BAD_COUNT),
        (P, -1, 40.0, DropReason.BAD_COUNT),
        (P, math.inf, 40.0, DropReason.BAD_COUNT),
        (P, 5, 0.0, DropReason.BAD_SIZE),
        (P, 5, -3.0, DropReason.BAD_SIZE),
        (P, 5, 40.5, DropReason.BAD_SIZE),
        (NP, 51, None, DropReason.BAD_COUNT),
        (NP, 5, 40.0, DropReason.BAD_SIZE),  # np has one size
        (C, 12, None, None),  # a c chart's count may exceed its size
        (C, 12, 2.0, DropReason.BAD_SIZE),
        (U, 12, 1.5, None),  # fractional inspection units
        (U, 12, math.nan, DropReason.BAD_SIZE),
    ],
)
def test_count_problems(binding, count, size, reason):
    assert count_problem(binding, count, size) == reason


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
