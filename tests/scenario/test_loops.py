"""Feedback loops of the causal graph: elementary cycles and their signs."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.scenario.loops import Link, causal_links, elementary_cycles, feedback_loops

STATES = """
[[state]]
id = "x.USA"
initial = 0.5

[[state]]
id = "y.USA"
initial = 0.5
"""


def rule(ident: str, target: str, driver: str, weight: str, gate: str | None = None) -> str:
    gate_line = f'gate = "{gate}"\n' if gate else ""
    return (
        f'\n[[rules]]\nid = "{ident}"\ntarget = "{target}"\ndriver = "{driver}"\n'
        f"{gate_line}weight = {weight}\n"
    )


# --------------------------------------------------------------------------------------------
# elementary cycles


def test_elementary_cycles_of_a_small_graph():
    graph = {"a": ["b", "a"], "b": ["c", "a"], "c": ["a", "b"], "d": ["a"]}
    assert sorted(elementary_cycles(graph)) == [["a"], ["a", "b"], ["a", "b", "c"], ["b", "c"]]


def test_elementary_cycles_limit():
    complete = {n: [m for m in "abcde" if m != n] for n in "abcde"}
    assert len(elementary_cycles(complete)) == 84  # sum over k of C(5,k)·(k−1)!
    assert len(elementary_cycles(complete, limit=10)) == 10


def _brute_force(nodes: list[str], edges: set[tuple[str, str]]) -> set[tuple[str, ...]]:
    cycles = set()
    for k in range(1, len(nodes) + 1):
        for subset in itertools.permutations(nodes, k):
            if subset[0] != min(subset):
                continue
            hops = zip(subset, [*subset[1:], subset[0]], strict=True)
            if all(hop in edges for hop in hops):
                cycles.add(subset)
    return cycles


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=15)
    )
)
def test_elementary_cycles_equal_brute_force(edges):
    names = {i: f"n{i}" for pair in edges for i in pair}
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(names[a], []).append(names[b])
    named = {(names[a], names[b]) for a, b in edges}
    found = [tuple(c) for c in elementary_cycles(graph)]
    assert len(found) == len(set(found))  # each cycle once
    assert set(found) == _brute_force(sorted(names.values()), named)


# --------------------------------------------------------------------------------------------
# signs


def test_a_positive_and_a_negative_link_make_a_balancing_loop(scenario_from):
    scenario = scenario_from(
        STATES
        + rule("x_raises_y", "y.USA", "x.USA", "0.1")
        + rule("y_lowers_x", "x.USA", "y.USA", "-0.1")
    )
    (loop,) = feedback_loops(scenario)
    assert loop.nodes == ["x.USA", "y.USA"]
    assert loop.rules == ["x_raises_y", "y_lowers_x"]
    assert loop.sign == -1 and loop.polarity == "balancing"
    assert loop.describe() == "x.USA → y.USA → x.USA"


def test_the_driver_direction_counts_not_only_the_weight(scenario_from):
    # weight > 0 but driver 1 - y: more y means less x — balancing with x_raises_y
    scenario = scenario_from(
        STATES
        + rule("x_raises_y", "y.USA", "x.USA", "0.1")
        + rule("y_lowers_x", "x.USA", "1 - y.USA", "0.1")
    )
    assert [loop.sign for loop in feedback_loops(scenario)] == [-1]
    # two negative links reinforce
    scenario = scenario_from(
        STATES
        + rule("x_lowers_y", "y.USA", "x.USA", "-0.1")
        + rule("y_lowers_x", "x.USA", "1 - y.USA", "0.1")
    )
    assert [loop.polarity for loop in feedback_loops(scenario)] == ["reinforcing"]


def test_weight_range_sign_is_the_sign_of_its_mean(scenario_from):
    scenario = scenario_from(
        STATES
        + rule("x_raises_y", "y.USA", "x.USA", "{ low = -0.1, high = 0.3 }")
        + rule("y_raises_x", "x.USA", "y.USA", "{ low = -0.2, high = 0.2 }")
    )
    (loop,) = feedback_loops(scenario)
    assert loop.sign == 0 and loop.polarity == "undetermined"  # mean 0: direction unknown


def test_gates_count_and_non_monotone_drivers_are_undetermined(scenario_from):
    scenario = scenario_from(
        STATES
        + rule("self_limiting", "x.USA", "x.USA * (1 - x.USA)", "0.1")
        + rule("gated", "y.USA", "1", "0.1", gate="x.USA > 0.5")
        + rule("gap", "x.USA", "abs(y.USA - 0.5)", "0.1")
    )
    loops = {tuple(loop.rules): loop for loop in feedback_loops(scenario)}
    assert loops[("self_limiting",)].sign == 0
    assert loops[("self_limiting",)].nodes == ["x.USA"]
    assert loops[("gated", "gap")].sign == 0  # x raises y (gate), y moves x both ways (abs)


def test_loops_through_actions_events_and_indicators(scenario_from):
    scenario = scenario_from(
        STATES
        + """
[[actions]]
id = "walk_out"
actor = "USA"
when = "x.USA > 0.5"
probability = 0.2
effects = { "y.USA" = -0.1 }

[[events]]
id = "protest"
actor = "ROK"
rate = "2 * y.USA"

[[indicators]]
id = "alarm"
expr = "x.USA > 0.8"
"""
        + rule("walk_out_feeds_x", "x.USA", "event.walk_out", "0.2")
        + rule("protest_lowers_x", "x.USA", "event.protest", "-0.1")
        + rule("alarm_calms_x", "x.USA", "alarm", "-0.3")
    )
    loops = {tuple(loop.rules): loop for loop in feedback_loops(scenario)}
    assert loops[("alarm_calms_x", "indicator:alarm")].polarity == "balancing"
    assert loops[("walk_out_feeds_x", "action:walk_out")].polarity == "reinforcing"
    # x → (walk-out lowers y) → y → (fewer protests) → event.protest → (less pull-down) → x
    through = loops[("protest_lowers_x", "action:walk_out", "event:protest")]
    assert through.nodes == ["event.protest", "x.USA", "y.USA"]
    assert through.polarity == "reinforcing"


def test_parallel_links_give_one_loop_each(scenario_from):
    scenario = scenario_from(
        STATES
        + rule("up", "y.USA", "x.USA", "0.1")
        + rule("down", "y.USA", "x.USA", "-0.1")
        + rule("back", "x.USA", "y.USA", "0.1")
    )
    loops = feedback_loops(scenario)
    assert [(loop.rules, loop.sign) for loop in loops] == [
        (["down", "back"], -1),
        (["up", "back"], 1),
    ]
    assert len(feedback_loops(scenario, limit=1)) == 1


def test_bargaining_links_positions_to_the_outcome(scenario_from):
    scenario = scenario_from(
        """
[[issues]]
id = "cost_sharing"
label = "Cost sharing"
ends = ["2025 payment", "U.S. demand"]
status_quo = 0
positions.USA = { position = 80, salience = 0.6 }
positions.ROK = { position = 10, salience = 0.8 }
"""
        + rule(
            "outcome_hardens_usa",
            "position.USA.cost_sharing",
            "issue.cost_sharing.outcome / 100",
            "1",
        )
    )
    assert Link(
        "position.USA.cost_sharing", "issue.cost_sharing.outcome", "bargaining:cost_sharing", 1
    ) in causal_links(scenario)
    (loop,) = feedback_loops(scenario)
    assert loop.polarity == "reinforcing"
    assert loop.nodes == ["issue.cost_sharing.outcome", "position.USA.cost_sharing"]
    assert loop.rules == ["outcome_hardens_usa", "bargaining:cost_sharing"]
