from openspc_sparkplug.bindings import Binding, BindingMap, load_bindings


def test_a_map_of_sparkplug_and_plain_tags():
    bindings = BindingMap.from_rows(
        [
            (1, "sparkplug://G/N/temp", 1),
            (2, "sparkplug://G/N/D1/a/b", 5),
            (3, "mqtt://plant/line1#data.temp", 1),
            (4, "mqtt://plant/line1#pressure", 2),
            (5, "mqtt://plant/line2", 1),
            (6, "mqtt://spBv1.0/G/NDATA/N", 1),  # Sparkplug topics are bound with sparkplug://
            (7, "mqtt://plant/+/x", 1),
            (8, "opc://x", 1),
            (9, "sparkplug://G/N", 1),
        ]
    )
    assert bindings.by_tag == {
        "sparkplug://G/N/temp": Binding(1, 1),
        "sparkplug://G/N/D1/a/b": Binding(2, 5),
        "mqtt://plant/line1#data.temp": Binding(3, 1),
        "mqtt://plant/line1#pressure": Binding(4, 2),
        "mqtt://plant/line2": Binding(5, 1),
    }
    assert bindings.plain == {
        "plant/line1": (
            ("data.temp", "mqtt://plant/line1#data.temp"),
            ("pressure", "mqtt://plant/line1#pressure"),
        ),
        "plant/line2": ((None, "mqtt://plant/line2"),),
    }
    assert bindings.invalid == {
        "mqtt://spBv1.0/G/NDATA/N": 6,
        "mqtt://plant/+/x": 7,
        "opc://x": 8,
        "sparkplug://G/N": 9,
    }


def test_loaded_with_one_query_from_tag_characteristics_only(harness):
    tagged = harness.characteristic("mqtt://a/b", n=3)
    harness.characteristic("sparkplug://G/N/m")
    harness.plant.characteristic("manual one")
    loaded = load_bindings(harness.plant.engine)
    assert loaded.by_tag["mqtt://a/b"] == Binding(tagged, 3)
    assert set(loaded.by_tag) == {"mqtt://a/b", "sparkplug://G/N/m"}
