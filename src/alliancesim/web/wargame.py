"""The "Play turns" tab: a wargame on a scenario, one quarter per turn.

Each turn the page offers, from the scenario, every actor's actions (do it, don't, or leave it
to the model; consult the ally first or only inform it), the scheduled events (hold one this
quarter or skip it) and the levers (set from this quarter on). Play applies the choices in each
plausible world of a :class:`~alliancesim.turns.TurnSession` and shows how the distribution of
the alliance's state moved, beside the track where the model decides everything.

The game lives in the browser as its set-up and the list of choices (see
:mod:`alliancesim.web.games`); turns are ordinary callbacks because a turn takes well under a
second.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from alliancesim.errors import InputError
from alliancesim.report import figures
from alliancesim.turns import AUTOPILOT, PLAYED, TRACKS, TurnSession
from alliancesim.web import values
from alliancesim.web.components import card, field, help_text, problem_list
from alliancesim.web.context import Dashboard
from alliancesim.web.figures import placeholder_figure, quarter_shift_chart, short_label
from alliancesim.web.games import MAX_GAME_MEMBERS, GameSetup, game_history
from alliancesim.web.results_view import GRAPH_CONFIG
from alliancesim.web.sources import DEFAULT_REFERENCE

__all__ = ["choices_from_form", "layout", "register"]

ACTION_CHOICES = [
    {"label": "model decides", "value": "model"},
    {"label": "do it", "value": "yes"},
    {"label": "don't", "value": "no"},
]
CONSULT_CHOICES = [
    {"label": "model decides", "value": "model"},
    {"label": "consult first", "value": "consult"},
    {"label": "only inform", "value": "inform"},
]
SCHEDULE_CHOICES = [
    {"label": "as on the calendar", "value": "calendar"},
    {"label": "hold it", "value": "hold"},
    {"label": "skip it", "value": "skip"},
]


def layout(dashboard: Dashboard) -> html.Div:
    """The tab's page: set-up and this quarter's choices on the left, what moved on the right."""
    setup = GameSetup()
    controls = card(
        [
            html.H2("Play turns (wargame)"),
            help_text(
                "Step the scenario one quarter at a time. Each turn, decide what the actors do "
                "this quarter (or leave it to the model) and press Play: your choices apply in "
                "every plausible world, and the charts show how the alliance's state moved — "
                "beside where it would be had the model decided everything."
            ),
            html.Details(
                [
                    html.Summary("Game set-up"),
                    field(
                        "Scenario",
                        dcc.Dropdown(
                            id="turn-scenario",
                            options=dashboard.sources.options(),
                            value=DEFAULT_REFERENCE,
                            clearable=False,
                        ),
                    ),
                    field(
                        "Policy in force",
                        dcc.Dropdown(id="turn-policy", value="baseline", clearable=False),
                        "The scenario's policy the game is played under (baseline: none).",
                    ),
                    html.Div(
                        [
                            field(
                                "Plausible worlds",
                                dcc.Input(
                                    id="turn-members",
                                    type="number",
                                    min=10,
                                    max=MAX_GAME_MEMBERS,
                                    step=1,
                                    value=setup.members,
                                ),
                                label_for="turn-members",
                            ),
                            field(
                                "Seed",
                                dcc.Input(id="turn-seed", type="number", min=0, step=1, value=0),
                                label_for="turn-seed",
                            ),
                        ],
                        className="pair",
                    ),
                    html.Button("Start a new game", id="turn-new", className="secondary"),
                ],
                id="turn-setup",
            ),
            html.Div(id="turn-header", className="turn-header"),
            html.Div(id="turn-form"),
            help_text("Anything left at 'model decides' follows the scenario's own rules."),
            html.Div(
                [
                    html.Button("Play this quarter", id="turn-play", className="primary"),
                    html.Button("Undo last turn", id="turn-undo", className="secondary"),
                ],
                className="row-buttons",
            ),
            html.Div(id="turn-error"),
        ],
        className="controls",
    )
    main = html.Div(
        [
            card(html.Div(id="turn-report")),
            card(
                [
                    html.H3("How the alliance's state moved this quarter"),
                    help_text(
                        "Distribution over plausible worlds at the start of the quarter (grey), "
                        "after your moves, and where the model's own decisions would have led."
                    ),
                    dcc.Graph(id="turn-shift", config=GRAPH_CONFIG),
                ]
            ),
            card(
                [
                    html.H3("The game so far"),
                    dcc.Dropdown(id="turn-quantity", clearable=False),
                    dcc.Graph(id="turn-fan", config=GRAPH_CONFIG),
                    dcc.Graph(id="turn-decoupling", config=GRAPH_CONFIG),
                ]
            ),
            card([html.H3("Moves played"), html.Div(id="turn-log")]),
        ],
        className="main",
    )
    return html.Div(
        [
            controls,
            main,
            dcc.Store(id="turn-game", data={"setup": setup.to_dict(), "history": []}),
        ],
        className="columns",
    )


# --------------------------------------------------------------------------------------------
# the choices form


def _form(session: TurnSession) -> list[Any]:
    if session.finished:
        return [html.P("The game is over: the scenario's horizon is reached.", className="note")]
    options = session.options()
    status = session.action_status()
    on_calendar = set(session.scheduled_next())
    levers_now = _levers_now(session)
    parts: list[Any] = []
    for actor, name in options.actors.items():
        rows = []
        for option in options.actions_of(actor):
            st = status[option.id]
            hint = f"its rule allows it now in {100 * st['condition']:.0f} % of worlds"
            if option.once:
                hint += f"; one-off, already happened in {100 * st['done']:.0f} %"
            controls = [
                dcc.RadioItems(
                    id={"type": "turn-action", "id": option.id},
                    options=ACTION_CHOICES,
                    value="model",
                    inline=True,
                    className="radio",
                )
            ]
            if option.consultable:
                controls.append(
                    html.Div(
                        [
                            html.Span("ally: ", className="small"),
                            dcc.RadioItems(
                                id={"type": "turn-consult", "id": option.id},
                                options=CONSULT_CHOICES,
                                value="model",
                                inline=True,
                                className="radio",
                            ),
                        ],
                        className="consult",
                    )
                )
            rows.append(
                html.Div(
                    [
                        html.Div(option.label, className="choice-label", title=option.source),
                        html.Div(hint, className="small"),
                        *controls,
                    ],
                    className="choice",
                )
            )
        parts.append(html.Fieldset([html.Legend(name), *rows], className="actor"))
    if options.scheduled:
        rows = []
        for option in options.scheduled:
            note = (
                "on the calendar this quarter"
                if option.id in on_calendar
                else "not scheduled this quarter"
            )
            rows.append(
                html.Div(
                    [
                        html.Div(option.label, className="choice-label"),
                        html.Div(note, className="small"),
                        dcc.RadioItems(
                            id={"type": "turn-scheduled", "id": option.id},
                            options=SCHEDULE_CHOICES,
                            value="calendar",
                            inline=True,
                            className="radio",
                        ),
                    ],
                    className="choice",
                )
            )
        parts.append(html.Fieldset([html.Legend("Alliance calendar"), *rows], className="actor"))
    if options.levers:
        rows = []
        for option in options.levers:
            now = levers_now.get(option.id)
            placeholder = f"now {now:g}" if now is not None else f"unchanged: {option.distribution}"
            rows.append(
                html.Div(
                    [
                        html.Label(
                            option.label, className="choice-label", htmlFor=f"lever-{option.id}"
                        ),
                        dcc.Input(
                            id={"type": "turn-lever", "id": option.id},
                            type="number",
                            placeholder=placeholder,
                            className="narrow",
                        ),
                    ],
                    className="choice",
                )
            )
        parts.append(
            html.Fieldset(
                [html.Legend("Levers (from this quarter on)"), *rows],
                className="actor",
            )
        )
    return parts


def _levers_now(session: TurnSession) -> dict[str, float]:
    out: dict[str, float] = {}
    for choices in session.history:
        out.update(choices.levers)
    return out


def choices_from_form(
    actions: list[str | None],
    action_ids: list[dict[str, str]],
    consults: list[str | None],
    consult_ids: list[dict[str, str]],
    scheduled: list[str | None],
    scheduled_ids: list[dict[str, str]],
    levers: list[Any],
    lever_ids: list[dict[str, str]],
) -> dict[str, Any]:
    """The quarter's choices as :meth:`TurnChoices.from_dict` reads them, from the form's
    values (anything left at 'model decides' or 'as on the calendar' is omitted). InputError if
    the form's values do not line up with its fields."""
    columns = [actions, action_ids, consults, consult_ids, scheduled, scheduled_ids]
    columns += [levers, lever_ids]
    pairs = list(zip(columns[::2], columns[1::2], strict=True))
    for got, ids in pairs:
        if not isinstance(got, list) or not isinstance(ids, list) or len(got) != len(ids):
            raise InputError.single("turn choices", "the form's values do not match its fields")
        for ident in ids:
            if not isinstance(ident, dict) or not isinstance(ident.get("id"), str):
                raise InputError.single("turn choices", "a field of the form has no name")
    out: dict[str, Any] = {"actions": {}, "scheduled": {}, "levers": {}}
    happens = {"yes": True, "no": False}
    consulted = {"consult": True, "inform": False}
    for value, ident in zip(actions, action_ids, strict=True):
        if value in happens:
            out["actions"].setdefault(ident["id"], {"happens": None, "consulted": None})
            out["actions"][ident["id"]]["happens"] = happens[value]
    for value, ident in zip(consults, consult_ids, strict=True):
        if value in consulted:
            out["actions"].setdefault(ident["id"], {"happens": None, "consulted": None})
            out["actions"][ident["id"]]["consulted"] = consulted[value]
    held = {"hold": True, "skip": False}
    for value, ident in zip(scheduled, scheduled_ids, strict=True):
        if value in held:
            out["scheduled"][ident["id"]] = held[value]
    for value, ident in zip(levers, lever_ids, strict=True):
        if value is not None and value != "":
            out["levers"][ident["id"]] = value
    return out


# --------------------------------------------------------------------------------------------
# what the players see


def _labels(session: TurnSession) -> dict[str, str]:
    scenario = session.model.scenario
    labels = {s.id: s.label for s in scenario.state if s.label}
    labels.update({i.id: i.label for i in scenario.indicators if i.label})
    return labels


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _report(session: TurnSession) -> list[Any]:
    model = session.model
    quarter = session.last_quarter()
    horizon = model.horizon
    if session.step == 0:
        return [
            html.H2(f"The game starts at the end of {model.clock.label(0)}"),
            html.P(
                f"{session.members:,} plausible worlds of {model.scenario.scenario.title}. "
                f"Make your choices for {session.next_period} on the left and press Play. "
                f"The game has {horizon} turns, to {model.clock.label(horizon)}."
            ),
        ]
    rows = []
    for h in quarter.happenings:
        share = h["share"]
        if max(share.values()) == 0.0:
            continue
        rows.append(
            html.Tr(
                [
                    html.Td(h["label"]),
                    html.Td(h["kind"], className="small"),
                    html.Td(_pct(share[PLAYED]), className="num"),
                    html.Td(_pct(share[AUTOPILOT]), className="num"),
                ]
            )
        )
    table = html.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th("what happened"),
                        html.Th("kind"),
                        html.Th("your moves", className="num"),
                        html.Th("model decides", className="num"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="table",
        id="turn-happenings",
    )
    p, ci = quarter.p_decoupled, quarter.p_decoupled_ci
    risk = html.Div(
        [
            f"Decoupled by {quarter.period}: ",
            html.Strong(f"{100 * p[PLAYED]:.1f} %", id="turn-risk"),
            html.Span(f" [{100 * ci[PLAYED][0]:.1f}–{100 * ci[PLAYED][1]:.1f}]", className="ci"),
            " with your moves, ",
            html.Strong(f"{100 * p[AUTOPILOT]:.1f} %"),
            html.Span(
                f" [{100 * ci[AUTOPILOT][0]:.1f}–{100 * ci[AUTOPILOT][1]:.1f}]", className="ci"
            ),
            " had the model decided.",
        ],
        className="big",
    )
    moves = quarter.choices or ["no choice: the model decided everything"]
    return [
        html.H2(f"Turn {quarter.step} of {horizon}: {quarter.period}", id="turn-title"),
        risk,
        html.Div(["Your moves: ", "; ".join(moves)], className="small"),
        html.H3("What happened this quarter (share of plausible worlds)"),
        table,
    ]


def _shift(session: TurnSession) -> Any:
    names = session.key_quantities()
    labels = _labels(session)
    t = session.step
    before = {n: session.values(n, PLAYED, max(t - 1, 0)) for n in names}
    after: dict[str, dict[str, Any]] = {}
    if t > 0:
        after = {track: {n: session.values(n, track, t) for n in names} for track in TRACKS}
    return quarter_shift_chart(
        before,
        after,
        labels={
            n: f"{short_label(labels[n])}<br><span style='font-size:11px;color:#5b6673'>{n}</span>"
            if n in labels
            else n
            for n in names
        },
        period=session.model.clock.label(t) if t else "",
        previous=session.model.clock.label(max(t - 1, 0)),
    )


def _fan(session: TurnSession, name: str) -> Any:
    if session.step == 0:
        return placeholder_figure("The course of the game appears after the first turn.")
    bands = session.bands([name])
    fig = figures.fan_chart(bands, name, policies=[PLAYED], title="")
    for trace in fig.data:
        if trace.name == "baseline median":
            trace.name = "median had the model decided"
            trace.showlegend = True
            trace.hovertemplate = "model decides: median %{y:.3f}<extra></extra>"
    return fig


def _decoupling(session: TurnSession) -> Any:
    if session.step == 0:
        return placeholder_figure("P(decoupled) by quarter appears after the first turn.")
    fig = figures.decoupling_chart(
        session.decoupling_summary(),
        title="P(decoupled by each quarter)",
    )
    fig.update_yaxes(tickformat=".1%")  # a game's risks are small early on
    return fig


def _log(session: TurnSession) -> Any:
    if not session.history:
        return html.P("No turn played yet.", className="note")
    items = []
    for t, choices in enumerate(session.history, 1):
        p = session.decoupled[PLAYED][t].mean()
        words = choices.describe(session.model) or ["the model decided everything"]
        items.append(
            html.Li(
                [
                    html.Strong(session.model.clock.label(t)),
                    f": {'; '.join(words)} — decoupled in {100 * p:.1f} % of worlds",
                ]
            )
        )
    return html.Ol(items, className="log")


def register(app: Dash, dashboard: Dashboard) -> None:
    """The tab's callbacks."""

    @app.callback(
        Output("turn-scenario", "options"),
        Input("uploaded", "data"),
    )
    def scenarios(uploaded: Any) -> Any:
        return dashboard.sources.options(dashboard.sources.uploads_of(uploaded))

    @app.callback(
        Output("turn-policy", "options"),
        Output("turn-policy", "value"),
        Input("turn-scenario", "value"),
    )
    def policies(reference: Any) -> Any:
        from alliancesim.presentation import policy_label

        try:
            scenario = dashboard.sources.scenario(reference)
        except InputError:
            return [], None
        options = [{"label": policy_label(scenario, p), "value": p} for p in scenario.policy_ids]
        return options, "baseline"

    @app.callback(
        Output("turn-game", "data"),
        Output("turn-error", "children"),
        Input("turn-new", "n_clicks"),
        Input("turn-play", "n_clicks"),
        Input("turn-undo", "n_clicks"),
        State("turn-game", "data"),
        State("turn-scenario", "value"),
        State("turn-policy", "value"),
        State("turn-members", "value"),
        State("turn-seed", "value"),
        State({"type": "turn-action", "id": ALL}, "value"),
        State({"type": "turn-action", "id": ALL}, "id"),
        State({"type": "turn-consult", "id": ALL}, "value"),
        State({"type": "turn-consult", "id": ALL}, "id"),
        State({"type": "turn-scheduled", "id": ALL}, "value"),
        State({"type": "turn-scheduled", "id": ALL}, "id"),
        State({"type": "turn-lever", "id": ALL}, "value"),
        State({"type": "turn-lever", "id": ALL}, "id"),
        prevent_initial_call=True,
    )
    def update_game(
        _new: Any,
        _play: Any,
        _undo: Any,
        game: Any,
        reference: Any,
        policy: Any,
        members: Any,
        seed: Any,
        *form: Any,
    ) -> Any:
        game = values.mapping(game) or {"setup": GameSetup().to_dict(), "history": []}
        try:
            if ctx.triggered_id == "turn-new":
                setup = GameSetup.from_dict(
                    {"scenario": reference, "policy": policy, "members": members, "seed": seed}
                )
                dashboard.games.session(setup, [])
                return {"setup": setup.to_dict(), "history": []}, ""
            setup = GameSetup.from_dict(game.get("setup"))
            history = game_history(game)
            if ctx.triggered_id == "turn-undo":
                if not history:
                    return no_update, ""
                return {"setup": setup.to_dict(), "history": history[:-1]}, ""
            choices = choices_from_form(*form)
            session = dashboard.games.session(setup, [*history, choices])
            return {"setup": setup.to_dict(), "history": [c.to_dict() for c in session.history]}, ""
        except InputError as exc:
            return no_update, problem_list(
                exc.problems, "That move was not played", id="turn-problems"
            )

    @app.callback(
        Output("turn-header", "children"),
        Output("turn-form", "children"),
        Output("turn-report", "children"),
        Output("turn-shift", "figure"),
        Output("turn-decoupling", "figure"),
        Output("turn-log", "children"),
        Output("turn-play", "disabled"),
        Output("turn-play", "children"),
        Output("turn-undo", "disabled"),
        Output("turn-quantity", "options"),
        Output("turn-quantity", "value"),
        Input("turn-game", "data"),
        State("turn-quantity", "value"),
    )
    def show_game(game: Any, quantity: Any) -> Any:
        game = values.mapping(game) or {}
        try:
            setup = GameSetup.from_dict(game.get("setup"))
            session = dashboard.games.session(setup, game_history(game))
        except InputError as exc:
            box = problem_list(exc.problems, "This game cannot be shown")
            return (box, "", "", {}, {}, "", True, "Play", True, [], None)
        model = session.model
        labels = _labels(session)
        if session.finished:
            header = html.Div(
                [html.Strong("Game over"), f" — {model.clock.label(model.horizon)} reached."]
            )
            play_label = "Game over"
        else:
            header = html.Div(
                [
                    html.Strong(
                        f"Turn {session.step + 1} of {model.horizon}: {session.next_period}"
                    ),
                    html.Div("Your choices for this quarter:", className="small"),
                ]
            )
            play_label = f"Play {session.next_period}"
        names = [*session.key_quantities(limit=100)]
        names += [n for n in session.names if n not in names]
        options = [{"label": f"{n} — {labels[n]}" if n in labels else n, "value": n} for n in names]
        value = quantity if quantity in names else (names[0] if names else None)
        return (
            header,
            _form(session),
            _report(session),
            _shift(session),
            _decoupling(session),
            _log(session),
            session.finished,
            play_label,
            not session.history,
            options,
            value,
        )

    @app.callback(
        Output("turn-fan", "figure"),
        Input("turn-quantity", "value"),
        Input("turn-game", "data"),
    )
    def show_quantity(name: Any, game: Any) -> Any:
        if not isinstance(name, str) or not name:
            return no_update
        game = values.mapping(game) or {}
        try:
            setup = GameSetup.from_dict(game.get("setup"))
            session = dashboard.games.session(setup, game_history(game))
        except InputError:
            return no_update
        if name not in session.names:
            return no_update
        return _fan(session, name)
