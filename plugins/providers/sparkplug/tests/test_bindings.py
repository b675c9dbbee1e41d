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


def test_attribute_charts_bind_a_count_and_optionally_its_size():
    bindings = BindingMap.from_rows(
        [
            (1, "sparkplug://G/N/D1/Quality/Rejects?size=Inspected", 50, "p"),
            (2, "sparkplug://G/N/defects", 1, "c"),  # fixed size
            (3, "mqtt://plant/cans#d?size=n", 50, "p"),
            (4, "mqtt://plant/cans#lot.d?size=lot.n", 50, "np"),
            (5, "sparkplug://G/N/x?size=n", 5, "xbar_r"),  # a size is for attribute charts
            (6, "mqtt://plant/count?size=n", 50, "p"),  # no document to find n in
            (7, "sparkplug://G/N/y?size=", 50, "u"),
            (8, "sparkplug://G/N/D1/Quality/Rejects", 50, "np"),  # bound to 1 already
            (9, "sparkplug://G/N/ewma", 4, "ewma"),  # subgroups of 4, as variables charts
        ]
    )
    assert bindings.by_tag == {
        "sparkplug://G/N/D1/Quality/Rejects": Binding(
            1, 50, "p", "sparkplug://G/N/D1/Quality/Inspected"
        ),
        "sparkplug://G/N/defects": Binding(2, 1, "c"),
        "mqtt://plant/cans#d": Binding(3, 50, "p", "n"),
        "mqtt://plant/cans#lot.d": Binding(4, 50, "np", "lot.n"),
        "sparkplug://G/N/ewma": Binding(9, 4),
    }
    assert bindings.size_tags == {"sparkplug://G/N/D1/Quality/Inspected"}
    assert bindings.plain == {
        "plant/cans": (("d", "mqtt://plant/cans#d"), ("lot.d", "mqtt://plant/cans#lot.d"))
    }
    assert bindings.plain_sizes == {"plant/cans": ("n", "lot.n")}
    assert set(bindings.invalid.values()) == {5, 6, 7, 8}
    assert bindings.problems == {
        "sparkplug://G/N/x?size=n": "?size= binds the sample size of a p, np, c or u chart",
        "mqtt://plant/count?size=n": "a size field needs the count in a JSON field: "
        "mqtt://<topic>#<count>?size=<size>",
        "sparkplug://G/N/y?size=": "?size= needs the size metric or JSON field",
        "sparkplug://G/N/D1/Quality/Rejects": "characteristic 1 is bound to "
        "sparkplug://G/N/D1/Quality/Rejects already",
    }


def test_loaded_with_the_chart_type(harness):
    cid = harness.plant.characteristic("cans", "np", 50, center=5.0)
    harness.bind(cid, "sparkplug://G/N/rejects?size=inspected")
    loaded = load_bindings(harness.plant.engine)
    assert loaded.by_tag == {
        "sparkplug://G/N/rejects": Binding(cid, 50, "np", "sparkplug://G/N/inspected")
    }
