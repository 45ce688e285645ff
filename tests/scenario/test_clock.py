"""The scenario clock: periods, steps and their labels."""

from __future__ import annotations

import pytest

from alliancesim.scenario.clock import Clock, parse_period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025Q3", (2025, 2, "quarter")),
        ("2025Q1", (2025, 0, "quarter")),
        ("2029Q4", (2029, 3, "quarter")),
        ("2025-07", (2025, 6, "month")),
        ("2026-12", (2026, 11, "month")),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    "text", ["2025Q5", "2025Q0", "2025-13", "2025-7", "25Q3", "2025q3", "", "2025"]
)
def test_bad_periods_say_what_was_expected(text):
    with pytest.raises(ValueError, match=r"expected a period like 2025Q3 or 2025-07"):
        parse_period(text)


def test_quarter_clock_of_the_default_scenario():
    clock = Clock("2025Q3", "quarter", 18)
    assert clock.per_year == 4
    assert clock.step_of("2025Q3") == 1
    assert clock.step_of("2025Q4") == 2
    assert clock.step_of("2026Q1") == 3
    assert clock.step_of("2029Q4") == 18
    assert clock.label(0) == "2025Q2"  # the state before the start
    assert clock.label(1) == "2025Q3"
    assert clock.label(18) == "2029Q4"
    assert clock.labels[:3] == ["2025Q2", "2025Q3", "2025Q4"]
    assert len(clock.labels) == 19
    assert clock.years(4) == 1.0


def test_month_clock_crosses_the_year():
    clock = Clock("2025-11", "month", 4)
    assert clock.per_year == 12
    assert [clock.label(t) for t in range(5)] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert clock.step_of("2026-01") == 3
    assert clock.years(6) == 0.5


def test_step_of_may_lie_outside_the_run_but_check_may_not():
    clock = Clock("2025Q3", "quarter", 4)
    assert clock.step_of("2025Q1") == -1
    assert clock.step_of("2027Q1") == 7
    assert clock.check("2026Q2") == 4
    with pytest.raises(ValueError) as caught:
        clock.check("2026Q3")
    assert str(caught.value) == "2026Q3 lies outside the scenario (2025Q3 to 2026Q2)"
    with pytest.raises(ValueError, match=r"^2025Q2 lies outside the scenario"):
        clock.check("2025Q2")


def test_a_month_in_a_quarterly_scenario_is_refused_with_an_example():
    with pytest.raises(ValueError) as caught:
        Clock("2025Q3", "quarter", 4).step_of("2025-07")
    assert str(caught.value) == (
        "'2025-07' is a month but the scenario steps by quarter (write e.g. '2025Q3')"
    )
    with pytest.raises(ValueError) as caught:
        Clock("2025-07", "month", 4).check("2025Q3")
    assert str(caught.value) == (
        "'2025Q3' is a quarter but the scenario steps by month (write e.g. '2025-07')"
    )
