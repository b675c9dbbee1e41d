from openspc_sparkplug.bindings import Binding
from openspc_sparkplug.subgroups import Discarded, Subgroup, SubgroupAssembler

B3 = Binding(characteristic_id=7, subgroup_size=3)


def feed(assembler, values, *, tag="t", binding=B3, historical=False, now=0.0):
    out = []
    for timestamp, value, hold in values:
        done = assembler.add(
            tag, binding, value, timestamp, historical=historical, hold=hold, now=now
        )
        if done is not None:
            out.append(done)
    return out


def test_n_consecutive_values_make_one_subgroup_timestamped_with_the_last():
    assembler = SubgroupAssembler[str]()
    done = feed(assembler, [(i, float(i), f"h{i}") for i in range(7)])
    assert done == [
        Subgroup(7, 2, [0.0, 1.0, 2.0], ["h0", "h1", "h2"]),
        Subgroup(7, 5, [3.0, 4.0, 5.0], ["h3", "h4", "h5"]),
    ]
    assert len(assembler) == 1 and assembler.discarded == []


def test_values_without_a_hold_and_separate_live_and_historical_streams():
    assembler = SubgroupAssembler[str]()
    feed(assembler, [(1, 1.0, None), (2, 2.0, None)])
    historical = feed(assembler, [(0, 0.5, "a"), (1, 0.6, None), (2, 0.7, None)], historical=True)
    assert historical == [Subgroup(7, 2, [0.5, 0.6, 0.7], ["a"])]
    assert feed(assembler, [(3, 3.0, None)]) == [Subgroup(7, 3, [1.0, 2.0, 3.0], [])]


def test_the_time_limit_on_arrival_and_on_value_timestamps():
    assembler = SubgroupAssembler[str](time_limit=1.0)
    feed(assembler, [(0, 0.0, "a")], now=100.0)
    assert assembler.next_deadline() == 101.0
    assembler.expire(100.9)
    assert assembler.discarded == []
    assembler.expire(101.0)
    assert assembler.discarded == [Discarded("t", 1, ["a"])] and len(assembler) == 0
    assembler.discarded.clear()
    # values more than a second apart (by their timestamps) start a new subgroup
    done = feed(assembler, [(0, 0.0, "b"), (1500, 1.0, "c"), (1600, 2.0, "d"), (1700, 3.0, "e")])
    assert done == [Subgroup(7, 1700, [1.0, 2.0, 3.0], ["c", "d", "e"])]
    assert assembler.discarded == [Discarded("t", 1, ["b"])]
    assert assembler.next_deadline() is None


def test_expiry_goes_by_the_oldest_partial_first():
    assembler = SubgroupAssembler[str](time_limit=1.0)
    feed(assembler, [(0, 0.0, "a")], tag="x", now=1.0)
    feed(assembler, [(0, 0.0, "b")], tag="y", now=2.0)
    assembler.expire(2.5)
    assert [d.tag for d in assembler.discarded] == ["x"]
    assert assembler.next_deadline() == 3.0


def test_rebinding_and_clearing_discard_partials():
    assembler = SubgroupAssembler[str]()
    feed(assembler, [(0, 0.0, "a")], tag="x")
    feed(assembler, [(0, 0.0, "b")], tag="y")
    feed(assembler, [(1, 1.0, "c")], tag="y", binding=Binding(8, 3))  # y rebound meanwhile
    assert assembler.discarded == [Discarded("y", 1, ["b"])]
    assembler.retain({"x": B3, "y": Binding(8, 3)})
    assert len(assembler.discarded) == 1
    assembler.retain({"y": Binding(8, 3)})
    assert assembler.discarded[-1] == Discarded("x", 1, ["a"])
    assembler.clear()
    assert assembler.discarded[-1] == Discarded("y", 1, ["c"]) and len(assembler) == 0
