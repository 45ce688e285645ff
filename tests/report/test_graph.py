"""The causal-loop diagram's graph: the links and loops a reader of the scenario expects."""

from __future__ import annotations

import math

from alliancesim.report.figures import causal_loop_diagram
from alliancesim.report.graph import causal_graph, circle_layout


def test_links_and_signs_of_the_test_scenario(alliance_run) -> None:
    graph = causal_graph(alliance_run.model.scenario)
    edges = {(e.source, e.target): e.sign for e in graph.edges}
    assert edges == {
        # doubt makes the withdrawal likelier; the withdrawal feeds fear and lowers trust
        ("doubt.USA.ROK", "event.withdrawal"): 1,
        ("event.withdrawal", "fear_abandonment.ROK"): 1,
        ("event.withdrawal", "trust.ROK.USA"): -1,
        # fear feeds hedging, hedging feeds doubt
        ("fear_abandonment.ROK", "nuclear_hedging.ROK"): 1,
        ("nuclear_hedging.ROK", "doubt.USA.ROK"): 1,
        # consulting (through the consultation flag) softens the blow
        ("policy.consultation", "fear_abandonment.ROK"): -1,
        ("policy.consultation", "trust.ROK.USA"): 1,
    }
    kinds = {n.name: n.kind for n in graph.nodes}
    assert kinds["event.withdrawal"] == "happening"
    assert kinds["policy.consultation"] == "lever"
    assert kinds["doubt.USA.ROK"] == "perception"


def test_the_seed_loop_is_found_reinforcing_with_its_quotes(alliance_run) -> None:
    graph = causal_graph(alliance_run.model.scenario)
    assert len(graph.loops) == 1
    loop = graph.loops[0]
    assert loop.describe() == (
        "doubt.USA.ROK → event.withdrawal → fear_abandonment.ROK → nuclear_hedging.ROK → "
        "doubt.USA.ROK"
    )
    assert loop.polarity == "reinforcing"
    quotes = [q.quote for q in loop.quotes]
    # the rules' own quotes come before the action's
    assert (
        quotes[0]
        == "the Trump administration might take actions that feed abandonment fears in Seoul"
    )
    assert "There is a real risk that these mutual concerns will feed on each other" in quotes


def test_layout_puts_perceptions_on_the_circle_and_the_rest_outside(alliance_run) -> None:
    graph = causal_graph(alliance_run.model.scenario)
    pos = circle_layout(graph)
    for node in graph.nodes:
        r = math.hypot(*pos[node.name])
        assert math.isclose(r, 1.0 if node.kind == "perception" else 1.75)
    points = list(pos.values())
    assert len({(round(x, 6), round(y, 6)) for x, y in points}) == len(points)


def test_diagram_draws_every_link_and_a_menu_per_loop(alliance_run) -> None:
    graph = causal_graph(alliance_run.model.scenario)
    fig = causal_loop_diagram(graph)
    assert len(fig.layout.annotations) == len(graph.edges)  # one arrowhead per link
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label.split(":")[0] for b in buttons] == ["no loop highlighted", "L1 reinforcing"]
    highlight = [t for t in fig.data if t.name == "loop L1"]
    assert len(highlight) == 1 and highlight[0].visible
