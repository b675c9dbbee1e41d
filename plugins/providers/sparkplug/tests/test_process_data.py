import statistics

import pytest

from openspc_sparkplug.process_data import (
    CauseKind,
    MetricProcess,
    ProcessGenerator,
    SpecialCause,
    default_processes,
    parse_special_causes,
)

UNIT = MetricProcess("x", mean=100.0, sigma=2.0)


def series(causes=(), count=400, seed=1) -> list[float]:
    generator = ProcessGenerator([UNIT], causes, seed=seed)
    return [generator.next_sample()[0] for _ in range(count)]


def z(values: list[float]) -> list[float]:
    return [(value - UNIT.mean) / UNIT.sigma for value in values]


def test_in_control_noise_around_the_mean():
    values = z(series(count=4000))
    assert abs(statistics.fmean(values)) < 0.1
    assert statistics.stdev(values) == pytest.approx(1.0, abs=0.05)


def test_same_seed_same_data_and_one_value_per_metric():
    first = ProcessGenerator(default_processes(5), seed=7)
    second = ProcessGenerator(default_processes(5), seed=7)
    samples = [first.next_sample() for _ in range(3)]
    assert samples == [second.next_sample() for _ in range(3)]
    assert all(len(sample) == 5 for sample in samples)
    assert first.index == 3


def test_shift_moves_the_mean_from_its_start():
    values = z(series([SpecialCause(CauseKind.SHIFT, 0, 200, 2.0, None)], count=400))
    assert abs(statistics.fmean(values[:200])) < 0.25
    assert statistics.fmean(values[200:]) == pytest.approx(2.0, abs=0.25)


def test_trend_drifts_for_its_length_then_stops():
    values = z(series([SpecialCause(CauseKind.TREND, 0, 100, 0.1, 50)], count=300))
    slope, _ = statistics.linear_regression(range(50), values[100:150])
    assert slope == pytest.approx(0.1, abs=0.03)
    assert abs(statistics.fmean(values[150:])) < 0.3


def test_outlier_is_one_point():
    values = z(series([SpecialCause(CauseKind.OUTLIER, 0, 50, 6.0, 1)], count=100))
    assert values[50] > 3.0
    assert sum(abs(value) > 3.0 for value in values) == 1


def test_stratification_shrinks_the_spread():
    values = z(series([SpecialCause(CauseKind.STRATIFICATION, 0, 100, 0.2, 100)], count=300))
    assert statistics.stdev(values[100:200]) == pytest.approx(0.2, abs=0.06)
    assert statistics.stdev(values[200:]) > 0.7


def test_causes_affect_only_their_metric():
    processes = [UNIT, MetricProcess("y", 0.0, 1.0)]
    shifted = ProcessGenerator(processes, [SpecialCause(CauseKind.SHIFT, 1, 0, 5.0, None)], seed=3)
    plain = ProcessGenerator(processes, seed=3)
    for _ in range(10):
        (x1, y1), (x2, y2) = shifted.next_sample(), plain.next_sample()
        assert x1 == x2 and y1 == pytest.approx(y2 + 5.0)


def test_parse_special_causes():
    assert parse_special_causes("shift:3@200:1.5, outlier:0@50,trend:5@100:0.2:40") == (
        SpecialCause(CauseKind.SHIFT, 3, 200, 1.5, None),
        SpecialCause(CauseKind.OUTLIER, 0, 50, 4.5, 1),
        SpecialCause(CauseKind.TREND, 5, 100, 0.2, 40),
    )
    assert parse_special_causes("STRATIFICATION:2@0") == (
        SpecialCause(CauseKind.STRATIFICATION, 2, 0, 0.2, 50),
    )
    assert parse_special_causes("") == ()


@pytest.mark.parametrize(
    "text", ["drift:1@2", "shift:1", "shift:a@2", "shift:1@2:x", "shift:1@2:1:2:3", "trend:1@2:1:0"]
)
def test_invalid_special_causes(text):
    with pytest.raises(ValueError, match="special cause"):
        parse_special_causes(text)


def test_cause_on_a_missing_metric_is_rejected():
    with pytest.raises(ValueError):
        ProcessGenerator([UNIT], [SpecialCause(CauseKind.SHIFT, 1, 0, 1.0, None)])


def test_default_processes_have_realistic_distinct_names():
    processes = default_processes(20)
    names = [process.name for process in processes]
    assert len(set(names)) == 20
    assert names[0] == "Cell 1/Fill Weight" and names[8] == "Cell 2/Fill Weight"
    assert all(process.sigma > 0 for process in processes)
