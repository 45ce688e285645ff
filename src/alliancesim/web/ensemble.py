"""The "Run an ensemble" tab: choose a scenario (built-in or uploaded), policies, the structures
of its contested mechanisms, members, seed and parameter ranges; run in a background job with a
progress bar; see the run's charts.

The run itself is a Dash background callback (``DiskcacheManager``): it executes in its own
process, reports progress through the cache, can be cancelled, and leaves the page responsive.
It simulates and stores the run with :func:`alliancesim.workflows.run_and_store`, the use case
``alliancesim run`` calls, so every run made in the browser is stored exactly like one made on
the command line.

Before any work, a run takes one of the dashboard's run slots (refused at once if as many runs
as allowed are going, :mod:`alliancesim.web.limits`), is checked against the limit on worlds
per run, and is refused if the store's disk cannot hold what it will write
(:mod:`alliancesim.sizes`) and still keep the reserve free.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from alliancesim.draws import MAX_SEED
from alliancesim.errors import InputError, Problem
from alliancesim.web import values
from alliancesim.web.components import card, field, help_text, problem_list
from alliancesim.web.context import Dashboard
from alliancesim.web.figures import placeholder_figure
from alliancesim.web.limits import DEFAULT_MAX_MEMBERS, DiskFullError, RunsBusyError
from alliancesim.web.results_view import fan_figure, run_view
from alliancesim.web.sources import DEFAULT_REFERENCE, apply_ranges, range_rows
from alliancesim.web.upload import accept_upload

__all__ = ["DEFAULT_MEMBERS", "MAX_MEMBERS", "layout", "prepare_run", "register"]

log = logging.getLogger(__name__)

DEFAULT_MEMBERS = 1000
MAX_MEMBERS = DEFAULT_MAX_MEMBERS
"""The default limit on worlds per run (``create_app(max_members=…)`` sets a server's)."""
"""Largest seed a run may have: the bound the command line checks too, within what the store's
catalogue keeps (a seed beyond what it keeps used to be lost after simulating)."""


def layout(dashboard: Dashboard) -> html.Div:
    """The tab's page: controls on the left, the selected run on the right."""
    limit_kb = dashboard.upload_limit // 1024
    controls = card(
        [
            html.H2("Run an ensemble"),
            help_text(
                "Simulate many plausible worlds of a scenario under each policy and compare "
                "how often the alliance decouples. Defaults run the 2025 scenario as the "
                "analyses describe it: press Run."
            ),
            html.Div(
                [
                    html.Button("Run", id="run", className="primary"),
                    html.Button("Cancel", id="cancel", className="secondary", disabled=True),
                ],
                className="row-buttons",
            ),
            html.Div(
                [
                    html.Progress(id="run-progress"),
                    html.Div(id="run-status", className="help", role="status"),
                ],
                id="progress-box",
                className="progress-box",
                style={"display": "none"},
            ),
            html.Div(id="run-error"),
            html.H3("1. Scenario"),
            field(
                "Scenario",
                dcc.Dropdown(
                    id="scenario",
                    options=dashboard.sources.options(),
                    value=DEFAULT_REFERENCE,
                    clearable=False,
                ),
                "A built-in scenario, or one you upload below.",
            ),
            html.Div(id="scenario-about", className="about"),
            dcc.Upload(
                id="upload",
                children=html.Div(
                    ["Drop a scenario TOML file here or ", html.A("choose one")],
                ),
                max_size=dashboard.upload_limit,
                multiple=False,
                accept=".toml,text/plain,application/toml",
                className="upload",
            ),
            help_text(
                f"At most {limit_kb} KB. The file is checked like `alliancesim validate` "
                "(never executed); problems are listed with their line and field."
            ),
            html.Div(id="upload-status"),
            html.H3("2. Policies"),
            dcc.Checklist(id="policies", options=[], value=[], className="checklist"),
            field(
                "Combinations",
                dcc.Input(
                    id="combinations",
                    type="text",
                    placeholder="e.g. consult_first+early_dialogue",
                    debounce=True,
                    className="wide",
                ),
                "Policies applied together, joined by '+'; several separated by commas.",
                label_for="combinations",
            ),
            html.Div(
                [
                    html.H3("Structures"),
                    help_text(
                        "Rival accounts of the scenario's contested mechanisms: the run "
                        "simulates the same worlds under each structure chosen and weighs them "
                        "by their accounts' priors. Default: the seed's and each rival alone."
                    ),
                    dcc.Checklist(id="structures", options=[], value=[], className="checklist"),
                ],
                id="structures-box",
                style={"display": "none"},
            ),
            html.H3("3. Ensemble"),
            html.Div(
                [
                    field(
                        "Plausible worlds",
                        dcc.Input(
                            id="members",
                            type="number",
                            min=10,
                            max=dashboard.limits.max_members,
                            step=1,
                            value=min(DEFAULT_MEMBERS, dashboard.limits.max_members),
                        ),
                        "Members of the ensemble; more gives narrower intervals "
                        f"(this server allows up to {dashboard.limits.max_members:,}).",
                        label_for="members",
                    ),
                    field(
                        "Seed",
                        dcc.Input(id="seed", type="number", min=0, step=1, value=0),
                        "Same seed, same results.",
                        label_for="seed",
                    ),
                ],
                className="pair",
            ),
            html.Details(
                [
                    html.Summary("4. Ranges of the main uncertain parameters (optional)"),
                    help_text(
                        "Each plausible world draws these from [low, high]. Edit a range to "
                        "explore other assumptions; equal ends fix the value."
                    ),
                    html.Div(id="ranges"),
                    html.Button("Reset ranges", id="reset-ranges", className="link"),
                ],
                id="ranges-box",
            ),
        ],
        className="controls",
    )
    results = html.Div(
        dcc.Loading(
            html.Div(
                card(
                    [
                        html.H2("No run selected yet"),
                        html.P(
                            "Press Run on the left (well under a minute with the defaults), or "
                            "open a past run from the Past runs tab."
                        ),
                    ]
                ),
                id="results",
            ),
            type="dot",
            delay_show=300,
        ),
        className="main",
    )
    return html.Div(
        [
            controls,
            results,
            dcc.Download(id="download-report"),
            dcc.Download(id="download-data"),
        ],
        className="columns",
    )


def _ranges_table(rows: list[dict[str, Any]]) -> html.Table:
    head = html.Tr(
        [html.Th("parameter (as written in the scenario)"), html.Th("low"), html.Th("high")]
    )
    body = []
    for row in rows:
        name = row["parameter"]
        body.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Code(name),
                            html.Div(f"{row['label']} — {row['distribution']}", className="small"),
                        ]
                    ),
                    html.Td(
                        dcc.Input(
                            id={"type": "range-low", "name": name},
                            type="number",
                            value=row["low"],
                            debounce=True,
                            className="narrow",
                        )
                    ),
                    html.Td(
                        dcc.Input(
                            id={"type": "range-high", "name": name},
                            type="number",
                            value=row["high"],
                            debounce=True,
                            className="narrow",
                        )
                    ),
                ]
            )
        )
    return html.Table([html.Thead(head), html.Tbody(body)], className="table ranges")


def _about(scenario: Any) -> list[Any]:
    meta = scenario.scenario
    clock_end = f"{meta.horizon} {meta.step}s from {meta.start}"
    text = meta.description or ""
    if len(text) > 320:
        text = text[:317].rsplit(" ", 1)[0] + "…"
    return [
        html.Strong(meta.title),
        html.Div(f"{clock_end} · {scenario.id}", className="small"),
        html.Div(text, className="small"),
    ]


def _policy_options(scenario: Any) -> tuple[list[dict[str, Any]], list[str]]:
    from alliancesim.presentation import policy_label
    from alliancesim.workflows import default_policies

    names = default_policies(scenario)
    kinds = {p.id: p.kind for p in scenario.policies}
    options = []
    for name in names:
        kind = (
            "counterfactual"
            if any(kinds.get(p) == "counterfactual" for p in name.split("+"))
            else ""
        )
        # plain-text labels: Dash 4.4's renderer fails when options with component labels are
        # replaced (plotly/dash#3799 fixes the same fault in the dropdown)
        label = f"{name} — {policy_label(scenario, name)}" + (" (counterfactual)" if kind else "")
        options.append({"label": label, "value": name, "disabled": name == "baseline"})
    return options, names


def _structure_options(scenario: Any) -> tuple[list[dict[str, Any]], list[str], dict[str, str]]:
    """The structures a run may choose (every combination, or the default design when there
    are more than :data:`alliancesim.structures.MAX_STRUCTURES`), those chosen by default, and
    whether the box shows."""
    from alliancesim.presentation import structure_label
    from alliancesim.structures import all_structures, default_structures

    if not scenario.mechanisms:
        return [], [], {"display": "none"}
    default = [s.name for s in default_structures(scenario)]
    try:
        names = [s.name for s in all_structures(scenario)]
    except InputError:
        names = default
    options = [
        {"label": f"{name} — {structure_label(scenario, name)}", "value": name} for name in names
    ]
    return options, default, {"display": "block"}


def chosen_structures(scenario: Any, values: list[str] | None) -> list[str] | None:
    """The structures a run request chooses (None: the scenario has no mechanisms, or the
    default design); InputError when it chooses none or an unknown one."""
    from alliancesim.structures import MAX_STRUCTURES, parse_structure

    if not scenario.mechanisms:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputError.single("structures", "expected a list of structures")
    if not values:
        raise InputError.single("structures", "choose at least one structure to run")
    if len(values) > MAX_STRUCTURES:
        raise InputError.single("structures", f"at most {MAX_STRUCTURES} structures at once")
    return [parse_structure(scenario, value).name for value in values]


def _combinations(text: str | None) -> list[str]:
    return [part.strip().replace(" ", "") for part in (text or "").split(",") if part.strip()]


def _rows(lows: Any, highs: Any, ids: Any) -> list[dict[str, Any]]:
    """The range table's rows from the form (InputError if its columns do not line up)."""
    lows, highs, ids = values.listing(lows), values.listing(highs), values.listing(ids)
    if lows is None or highs is None or ids is None or not len(lows) == len(highs) == len(ids):
        raise InputError.single(
            "parameter ranges", "the form's low and high columns do not match its parameters"
        )
    rows = []
    for ident, low, high in zip(ids, lows, highs, strict=True):
        name = values.text(values.mapping(ident) and ident.get("name"))
        if name is None:
            raise InputError.single("parameter ranges", "a row of the form names no parameter")
        rows.append({"parameter": name, "low": low, "high": high})
    return rows


def prepare_run(
    dashboard: Dashboard,
    reference: str,
    policies: list[str] | None,
    combinations: str | None,
    members: Any,
    seed: Any,
    ranges: list[dict[str, Any]] | None,
) -> tuple[Any, list[str], int, int]:
    """Check a run request from the page: the scenario with its edited ranges, the policies
    (baseline first, combinations checked), members (at most the server's limit) and seed;
    InputError listing what is wrong. Any value may arrive as any JSON."""
    problems: list[Problem] = []
    scenario = dashboard.sources.scenario(reference)
    try:
        scenario = apply_ranges(scenario, ranges)
    except InputError as exc:
        problems += exc.problems
    limit = dashboard.limits.max_members
    members_n = values.whole(members)
    if members_n is None or not 10 <= members_n <= limit:
        got = "" if members is None else f", got {values.shown(members)}"
        problems.append(
            Problem(
                "plausible worlds",
                None,
                "members",
                f"a whole number from 10 to {limit:,} (this server's limit; "
                f"`alliancesim serve --max-members` raises it){got}",
            )
        )
        members_n = 0
    seed_n = values.whole(seed)
    if seed_n is None or not 0 <= seed_n <= MAX_SEED:
        problems.append(Problem("seed", None, "seed", f"a whole number from 0 to {MAX_SEED:,}"))
        seed_n = 0
    chosen = values.listing(policies) if policies is not None else []
    if chosen is None or not all(isinstance(p, str) for p in chosen):
        problems.append(Problem("policies", None, "policies", "a list of policy names"))
        chosen = []
    if combinations is not None and not isinstance(combinations, str):
        problems.append(Problem("policies", None, "combinations", "text: policies joined by '+'"))
        combinations = None
    names = ["baseline"] + [p for p in chosen if p != "baseline"]
    names += [c for c in _combinations(combinations) if c not in names]
    from alliancesim.model import compile_model

    if not problems:
        model = compile_model(scenario)
        for name in names:
            try:
                model.policy(name)
            except InputError as exc:
                problems += [Problem("policies", None, name, p.message) for p in exc.problems]
    if problems:
        raise InputError(problems)
    return scenario, names, members_n, seed_n


def register(app: Dash, dashboard: Dashboard) -> None:
    """The tab's callbacks."""

    @app.callback(
        Output("scenario", "options"),
        Output("scenario", "value"),
        Output("upload-status", "children"),
        Output("uploaded", "data"),
        Input("upload", "contents"),
        State("upload", "filename"),
        State("uploaded", "data"),
        prevent_initial_call=True,
    )
    def upload_scenario(contents: Any, filename: Any, uploaded: Any) -> Any:
        result = accept_upload(
            values.text(contents),
            values.text(filename),
            dashboard.sources,
            limit=dashboard.upload_limit,
        )
        uploaded = dashboard.sources.uploads_of(uploaded)
        if not result.ok:
            status = problem_list(
                result.problems,
                f"{result.filename} was not loaded: {len(result.problems)} problem(s)",
                id="upload-problems",
            )
            return no_update, no_update, status, no_update
        option = {
            "label": f"uploaded: {result.filename} — {result.title}",
            "value": result.reference,
        }
        uploaded = [o for o in uploaded if o["value"] != result.reference] + [option]
        status = html.Div(
            [f"{result.filename} is valid: scenario ", html.Code(result.scenario_id), " selected."],
            className="ok",
            id="upload-ok",
        )
        return dashboard.sources.options(uploaded), result.reference, status, uploaded

    @app.callback(
        Output("scenario", "options", allow_duplicate=True),
        Input("uploaded", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def known_uploads(uploaded: Any) -> Any:
        return dashboard.sources.options(dashboard.sources.uploads_of(uploaded))

    @app.callback(
        Output("scenario-about", "children"),
        Output("policies", "options"),
        Output("policies", "value"),
        Output("ranges", "children"),
        Input("scenario", "value"),
        Input("reset-ranges", "n_clicks"),
    )
    def choose_scenario(reference: Any, _reset: Any) -> Any:
        try:
            scenario = dashboard.sources.scenario(reference)
        except InputError as exc:
            box = problem_list(exc.problems, "This scenario cannot be loaded")
            return box, [], [], ""
        options, names = _policy_options(scenario)
        return _about(scenario), options, names, _ranges_table(range_rows(scenario))

    @app.callback(
        Output("structures", "options"),
        Output("structures", "value"),
        Output("structures-box", "style"),
        Input("scenario", "value"),
    )
    def choose_structures(reference: str) -> Any:
        try:
            scenario = dashboard.sources.scenario(reference)
        except InputError:
            return [], [], {"display": "none"}
        return _structure_options(scenario)

    @app.callback(
        Output("finished-run", "data"),
        Output("run-error", "children"),
        Input("run", "n_clicks"),
        State("client", "data"),
        State("scenario", "value"),
        State("policies", "value"),
        State("combinations", "value"),
        State("members", "value"),
        State("seed", "value"),
        State("structures", "value"),
        State({"type": "range-low", "name": ALL}, "value"),
        State({"type": "range-high", "name": ALL}, "value"),
        State({"type": "range-low", "name": ALL}, "id"),
        background=True,
        progress=[
            Output("run-progress", "value"),
            Output("run-progress", "max"),
            Output("run-status", "children"),
        ],
        progress_default=[None, None, "Starting the run…"],
        running=[
            (Output("run", "disabled"), True, False),
            (Output("cancel", "disabled"), False, True),
            (Output("progress-box", "style"), {"display": "block"}, {"display": "none"}),
        ],
        cancel=[Input("cancel", "n_clicks")],
        prevent_initial_call=True,
    )
    def run_ensemble(
        set_progress: Any,
        n_clicks: Any,
        client: Any,
        reference: Any,
        policies: Any,
        combinations: Any,
        members: Any,
        seed: Any,
        structure_values: Any,
        lows: Any,
        highs: Any,
        ids: Any,
    ) -> Any:
        try:
            with dashboard.slots.hold() as slot:  # before any work: refused at once if full
                set_progress((None, None, "Checking the scenario and options…"))
                return run_in_slot(
                    dashboard,
                    slot,
                    set_progress,
                    {"client": values.text(client), "n": values.whole(n_clicks)},
                    prepare=lambda: prepare_run(
                        dashboard,
                        reference,
                        policies,
                        combinations,
                        members,
                        seed,
                        _rows(lows, highs, ids),
                    ),
                    structures=lambda scenario: chosen_structures(scenario, structure_values),
                )
        except RunsBusyError as exc:
            log.info("run refused: %s", exc)
            return no_update, refusal(str(exc), "run-busy")

    @app.callback(
        Output("selected-run", "data"),
        Output("tabs", "value"),
        Input("finished-run", "data"),
        Input({"type": "open-run", "run": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def select_run(finished: Any, _opened: Any) -> Any:
        trigger = ctx.triggered_id
        if trigger == "finished-run":
            run_id = values.run_id((values.mapping(finished) or {}).get("run_id"))
            if run_id is None:
                return no_update, no_update
            return run_id, "ensemble"
        if isinstance(trigger, dict) and any(t.get("value") for t in ctx.triggered):
            run_id = values.run_id(trigger.get("run"))
            if run_id is None:
                return no_update, no_update
            return run_id, "ensemble"
        return no_update, no_update

    @app.callback(
        Output("results", "children"),
        Input("selected-run", "data"),
        prevent_initial_call=True,
    )
    def show_run(selected: Any) -> Any:
        if not selected:
            return no_update
        try:
            run_id = run_id_of(selected)  # the store is asked only when the view is drawn
            return dashboard.views.get(
                ("view", run_id), lambda: run_view(dashboard, dashboard.exact_run_id(run_id))
            )
        except InputError as exc:
            return card(problem_list(exc.problems, "This run cannot be shown"))

    @app.callback(
        Output("fan-chart", "figure"),
        Input("fan-quantity", "value"),
        State("selected-run", "data"),
        prevent_initial_call=True,
    )
    def choose_quantity(name: Any, selected: Any) -> Any:
        if not name or not selected:
            return no_update
        try:
            run_id = run_id_of(selected)
            results = dashboard.results(run_id)
            quantity = recorded_quantity(results, name)
            return dashboard.views.get(
                ("fan", run_id, quantity), lambda: fan_figure(results, quantity)
            )
        except InputError as exc:
            return placeholder_figure(f"No chart: {exc.problems[0].message}")
        except duckdb.Error:  # a quantity a run made with --record indicators did not keep
            return placeholder_figure(f"No chart: this run did not record {name}")

    @app.callback(
        Output("download-report", "data"),
        Output("download-status", "children", allow_duplicate=True),
        Input("download-report-button", "n_clicks"),
        State("selected-run", "data"),
        prevent_initial_call=True,
    )
    def download_report(n_clicks: Any, selected: Any) -> Any:
        if not values.clicked(n_clicks):
            return no_update, no_update
        try:
            run_id = stored_run_id(dashboard, selected)
            page = report_html(dashboard, run_id)
        except InputError as exc:
            return no_update, problem_list(exc.problems, "Nothing to download")
        return dcc.send_string(page, f"alliancesim-{run_id}.html"), ""

    @app.callback(
        Output("download-data", "data"),
        Output("download-status", "children", allow_duplicate=True),
        Input("download-data-button", "n_clicks"),
        State("selected-run", "data"),
        prevent_initial_call=True,
    )
    def download_data(n_clicks: Any, selected: Any) -> Any:
        if not values.clicked(n_clicks):
            return no_update, no_update
        try:
            run_id = stored_run_id(dashboard, selected)
            data = parquet_zip(dashboard, run_id)
        except InputError as exc:
            return no_update, problem_list(exc.problems, "Nothing to download")
        return dcc.send_bytes(data, f"alliancesim-{run_id}-parquet.zip"), ""


def refusal(message: str, ident: str) -> html.Div:
    """A run refused by a limit: the reason, and how to change it."""
    return html.Div(
        [html.Div("The run was not started", className="problems-title"), html.P(message)],
        className="problems",
        role="alert",
        id=ident,
    )


def run_id_of(value: Any) -> str:
    """A run id the page sends, checked for form (InputError)."""
    run_id = values.run_id(value)
    if run_id is None:
        raise InputError.single(
            "run", f"expected a run id such as 20250701T120000-ab12cd, got {values.shown(value)}"
        )
    return run_id


def stored_run_id(dashboard: Dashboard, value: Any) -> str:
    """The id of a stored run the page names (InputError: not a run id, or no stored run has
    exactly this id)."""
    return dashboard.exact_run_id(run_id_of(value))


def recorded_quantity(results: Any, name: Any) -> str:
    """A quantity of the run's model, by name (InputError if there is none): never anything
    else reaches the query that draws its chart."""
    if not isinstance(name, str) or name == "decoupled" or name not in results.model.record_names:
        raise InputError.single("quantity", f"this run has no quantity {values.shown(name)}")
    return name


def run_in_slot(
    dashboard: Dashboard,
    slot: Any,
    set_progress: Callable[[Any], None],
    echo: dict[str, Any],
    *,
    prepare: Callable[[], tuple[Any, list[str], int, int]],
    structures: Callable[[Any], list[str] | None] | None = None,
) -> tuple[Any, Any]:
    """A run that holds its slot: check the request (and the structures chosen), check the
    disk, simulate and store; the callback's outputs (the finished run, or a message)."""
    from alliancesim.model import compile_model
    from alliancesim.sizes import run_cost
    from alliancesim.structures import structures_to_run

    try:
        scenario, names, members_n, seed_n = prepare()
        chosen = structures(scenario) if structures is not None else None
        count = len(structures_to_run(scenario, chosen))
        cost = run_cost(compile_model(scenario), len(names) * count, members_n)
        dashboard.slots.check_disk(slot, cost, dashboard.store.home, dashboard.limits.disk_reserve)
    except InputError as exc:
        return no_update, problem_list(exc.problems, "The run was not started", id="run-problems")
    except DiskFullError as exc:
        log.info("run refused: %s", exc)
        return no_update, refusal(str(exc), "run-disk")
    from alliancesim.ensemble import BLOCK_SIZE, blocks_of

    total = len(blocks_of(members_n))
    steps = total + 1  # the blocks, then the claims
    what = f"{members_n:,} worlds × {len(names)} policies" + (
        f" × {count} structures" if count > 1 else ""
    )

    def on_block(done: int, _total: int) -> None:
        simulated = min(done * BLOCK_SIZE, members_n)
        set_progress((str(done), str(steps), f"Simulated {simulated:,} of {what}…"))

    set_progress((None, None, f"Simulating {what}…"))
    try:
        run_id = simulate_and_store(
            dashboard,
            scenario,
            names,
            members_n,
            seed_n,
            structures=chosen,
            on_block=on_block,
            on_claims=lambda: set_progress(
                (str(total), str(steps), "Checking the seeds' claims and storing the run…")
            ),
        )
    except InputError as exc:
        return no_update, problem_list(exc.problems, "The run failed", id="run-problems")
    except Exception as exc:  # reported in the page; the traceback goes to the server log
        log.exception("run failed")
        return no_update, html.Div(f"The run failed: {exc}", className="problems", role="alert")
    set_progress((str(steps), str(steps), "Done."))
    return {"run_id": run_id, **echo}, ""


def simulate_and_store(
    dashboard: Dashboard,
    scenario: Any,
    policies: list[str],
    members: int,
    seed: int,
    *,
    structures: list[str] | None = None,
    on_block: Callable[[int, int], None] | None = None,
    on_claims: Callable[[], None] | None = None,
) -> str:
    """Simulate a run and keep it in the dashboard's store, exactly as ``alliancesim run``
    does (:func:`alliancesim.workflows.run_and_store`); the run id. ``structures``: as
    ``run(structures=…)`` (None: the default design)."""
    from alliancesim.workflows import run_and_store

    stored = run_and_store(
        dashboard.store,
        scenario,
        policies=policies,
        members=members,
        seed=seed,
        structures=structures,
        on_block=on_block,
        on_claims=on_claims,
    )
    return stored.record.run_id


def report_html(dashboard: Dashboard, run_id: str) -> str:
    """The HTML report of a stored run, as `alliancesim report` writes it."""
    from alliancesim.workflows import report_of_stored_run

    return report_of_stored_run(dashboard.store, run_id, results=dashboard.results(run_id))


def parquet_zip(dashboard: Dashboard, run_id: str) -> bytes:
    """A stored run exported as Parquet (trajectories, parameters) and JSON, zipped."""
    with tempfile.TemporaryDirectory(prefix="alliancesim-export-") as tmp:
        out = Path(tmp) / "export"
        files = dashboard.store.export(run_id, "parquet", out)
        archive = Path(tmp) / "export.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
            for path in files:
                zf.write(path, arcname=f"{run_id}/{path.name}")
        return archive.read_bytes()
