"""Scenario discovery: the ranges of the uncertain parameters where an outcome of interest happens.

PRIM (Friedman & Fisher 1999, as used for scenario discovery by Bryant & Lempert 2010) peels the
box of all sampled parameter values, a few per cent of the members at a time, always on the
side that raises the share of *cases of interest* (e.g. members that decouple) inside the box
the most, then pastes back where that helps. Each peel is a point on the *peeling trajectory*:

- **coverage**: the share of all cases of interest that fall inside the box;
- **density**: the share of members inside the box that are cases of interest;
- **mass**: the share of all members inside the box.

We use EMA Workbench's :class:`~ema_workbench.analysis.prim.Prim` (lenient objective,
α = 0.05, minimum mass 0.05) and choose, on its trajectory, the box with the best balance of
the two: the largest F1 = 2·coverage·density / (coverage + density) (ties: fewer restricted
parameters, then the earlier box). That choice is what an analyst does by eye on the
trade-off curve, made reproducible; the whole trajectory is reported so another box can be
picked. Quasi-p-values (EMA's one-sided binomial test per restricted limit) say whether each
limit is more than noise; limits with no quasi-p-value ≤ 0.05 are dropped from the chosen box
(EMA's ``drop_restriction``), as Bryant & Lempert recommend, so the box names only parameters
that matter.

With many uncertain parameters (170 in ``us-rok-2025``) PRIM's cost grows with their number
and so does its chance of restricting noise, so it searches only the ``MAX_PARAMETERS``
parameters whose distributions differ most between the cases of interest and the other members
(two-sample Kolmogorov–Smirnov distance, the screening step of regional sensitivity analysis);
the box reports which parameters were searched.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from alliancesim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from alliancesim.results import Results

__all__ = [
    "DiscoveryResult",
    "PrimBox",
    "discover",
    "discovery_figure",
    "find_boxes",
    "outcome_of_interest",
]

MIN_CASES = 5
MAX_PARAMETERS = 16
"""PRIM searches at most this many parameters: those that best separate the cases (KS)."""
QP_MAX = 0.05
"""A box limit whose quasi-p-values all exceed this is dropped as noise (Bryant & Lempert 2010)."""
"""Fewer cases of interest than this: no box is searched (PRIM would fit noise)."""


@dataclass
class PrimBox:
    """One PRIM box: the parameter ranges it restricts, its quality, and its peeling trajectory."""

    restrictions: list[dict[str, Any]]  # parameter, low, high, full_low, full_high, qp_low, qp_high
    coverage: float
    density: float
    mass: float
    members: int  # members inside the box
    cases: int  # cases of interest inside the box
    selected: int  # index of the chosen box on the trajectory
    trajectory: list[dict[str, float]]  # id, coverage, density, mass, res_dim, n, k
    base_density: float = math.nan  # share of cases of interest among all members searched
    searched: list[str] = field(default_factory=list)  # the parameters PRIM could restrict
    note: str = ""

    @property
    def lift(self) -> float:
        """How many times more frequent the cases of interest are inside the box than overall."""
        return self.density / self.base_density if self.base_density > 0 else math.nan

    @property
    def f1(self) -> float:
        """Harmonic mean of coverage and density."""
        total = self.coverage + self.density
        return 2 * self.coverage * self.density / total if total else 0.0

    def describe(self) -> str:
        """The box in words, e.g. ``rules.x.weight ≥ 0.21 and policy.consultation ≤ 0.4``."""
        if not self.restrictions:
            return "the whole sampled space (no parameter range stands out)"
        parts = []
        for r in self.restrictions:
            low_cut = r["low"] > r["full_low"]
            high_cut = r["high"] < r["full_high"]
            if low_cut and high_cut:
                parts.append(f"{r['low']:.4g} ≤ {r['parameter']} ≤ {r['high']:.4g}")
            elif low_cut:
                parts.append(f"{r['parameter']} ≥ {r['low']:.4g}")
            else:
                parts.append(f"{r['parameter']} ≤ {r['high']:.4g}")
        return " and ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "description": self.describe(),
            "restrictions": [{k: _json(v) for k, v in r.items()} for r in self.restrictions],
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "lift": _json(self.lift),
            "members": self.members,
            "cases": self.cases,
            "selected": self.selected,
            "trajectory": self.trajectory,
            "parameters_searched": self.searched,
            "note": self.note,
        }


def _json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean(x: pd.DataFrame) -> pd.DataFrame:
    """Drop columns that do not vary (nothing to restrict) and make every column float."""
    keep = [c for c in x.columns if x[c].nunique(dropna=False) > 1]
    return x[keep].astype(np.float64).reset_index(drop=True)


def screen_parameters(x: pd.DataFrame, y: np.ndarray, keep: int) -> list[str]:
    """The ``keep`` parameters whose distribution differs most between cases of interest and
    the other members (two-sample Kolmogorov–Smirnov distance), in the columns' order."""
    if x.shape[1] <= keep:
        return list(x.columns)
    from scipy import stats

    distance = {
        c: float(stats.ks_2samp(x[c].to_numpy()[y], x[c].to_numpy()[~y]).statistic)
        for c in x.columns
    }
    best = set(sorted(x.columns, key=lambda c: -distance[c])[:keep])
    return [c for c in x.columns if c in best]


def _choose(trajectory: pd.DataFrame) -> int:
    cov = trajectory["coverage"].to_numpy(dtype=float)
    dens = trajectory["density"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(cov + dens > 0, 2 * cov * dens / (cov + dens), 0.0)
    res_dim = trajectory["res_dim"].to_numpy(dtype=float)
    order = np.lexsort((np.arange(len(f1)), res_dim, -np.round(f1, 12)))
    return int(order[0])


def _significant(qp: list[float]) -> bool:
    return any(0 <= q <= QP_MAX for q in qp)


def _drop_noise(box: Any, i: int) -> str:
    """Drop the limits of box ``i`` whose quasi-p-values all exceed ``QP_MAX`` (EMA's
    ``drop_restriction``; each drop adds the widened box to the trajectory)."""
    qp = box.p_values[i]
    noisy = [dim for dim, values in qp.items() if not _significant(values)]
    if noisy and len(noisy) == len(qp):
        return f"no limit has a quasi-p-value ≤ {QP_MAX:g}: the box may be noise"
    for dim in noisy:
        box.drop_restriction(dim, i=box._cur_box)
    return ""


def find_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    boxes: int = 1,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    max_parameters: int = MAX_PARAMETERS,
    choose: Callable[[pd.DataFrame], int] | None = None,
) -> list[PrimBox]:
    """PRIM boxes (at most ``boxes``) where ``y`` (one bool per row of ``x``) tends to be true.

    ``choose`` picks a box on PRIM's peeling trajectory (its index); by default the largest F1.

    PRIM searches the ``max_parameters`` parameters that separate cases from the other members
    best (:func:`screen_parameters`). Each later box is searched among the members outside the
    earlier ones (EMA's default). Returns no box when there are fewer than ``MIN_CASES`` cases
    of interest or no parameter varies.
    """
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise ValueError(f"{len(y)} outcomes for {len(x)} members")
    x = _clean(x)
    if int(y.sum()) < MIN_CASES or x.shape[1] == 0:
        return []
    if not y.all():
        x = x[screen_parameters(x, y, max_parameters)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("EMA").setLevel(logging.WARNING)
        from ema_workbench.analysis.prim import Prim

        prim = Prim(
            x, y.astype(int), peel_alpha=peel_alpha, paste_alpha=peel_alpha, mass_min=mass_min
        )
        init = prim.box_init
        found: list[PrimBox] = []
        for _ in range(boxes):
            box = prim.find_box()
            if box is None:
                break
            i = (choose or _choose)(box.peeling_trajectory)
            box.select(i)
            note = _drop_noise(box, i)
            i = box._cur_box
            trajectory = box.peeling_trajectory
            lims = box.box_lims[i]
            qp = box.p_values[i]
            restrictions = []
            for column in x.columns:
                low, high = float(lims[column].iloc[0]), float(lims[column].iloc[1])
                full_low, full_high = float(init[column].iloc[0]), float(init[column].iloc[1])
                if low > full_low or high < full_high:
                    qp_low, qp_high = qp.get(column, [math.nan, math.nan])
                    restrictions.append(
                        {
                            "parameter": column,
                            "low": low,
                            "high": high,
                            "full_low": full_low,
                            "full_high": full_high,
                            "qp_low": float(qp_low) if qp_low != -1 else math.nan,
                            "qp_high": float(qp_high) if qp_high != -1 else math.nan,
                        }
                    )
            row = trajectory.iloc[i]
            found.append(
                PrimBox(
                    restrictions=restrictions,
                    coverage=float(row["coverage"]),
                    density=float(row["density"]),
                    mass=float(row["mass"]),
                    members=int(row["n"]),
                    cases=int(row["k"]),
                    selected=i,
                    base_density=float(y.mean()),
                    searched=list(x.columns),
                    note=note,
                    trajectory=[
                        {
                            "id": int(r["id"]),
                            "coverage": float(r["coverage"]),
                            "density": float(r["density"]),
                            "mass": float(r["mass"]),
                            "res_dim": int(r["res_dim"]),
                            "n": int(r["n"]),
                            "k": int(r["k"]),
                        }
                        for _, r in trajectory.iterrows()
                    ],
                )
            )
    return found


@dataclass
class DiscoveryResult:
    """Where in parameter space an outcome of interest happens, under one policy."""

    scenario: str
    policy: str
    outcome: str
    condition: str  # e.g. "decoupled by 2029Q4" or "cohesion < 0.4 at 2029Q4"
    members: int
    cases: int
    boxes: list[PrimBox] = field(default_factory=list)

    @property
    def base_density(self) -> float:
        """Share of all members that are cases of interest (the density of the unrestricted box)."""
        return self.cases / self.members if self.members else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario,
            "policy": self.policy,
            "outcome": self.outcome,
            "condition": self.condition,
            "members": self.members,
            "cases": self.cases,
            "base_density": self.base_density,
            "boxes": [b.to_dict() for b in self.boxes],
        }


def member_values(
    results: Results, name: str, policy: str, step: int, *, con: Any = None
) -> np.ndarray:
    """One recorded quantity's value per member (in member order) under a policy at a step.

    ``con`` is an open :meth:`Results.connect` connection to reuse (one is opened otherwise).
    """
    if policy not in results.policies:
        raise InputError.single(
            "--policy", f"policy {policy!r} was not run; run: {', '.join(results.policies)}"
        )
    if con is None:
        with results.connect() as own:
            return member_values(results, name, policy, step, con=own)
    columns = results.files.columns(con)
    if name not in columns:
        from alliancesim.scenario.names import suggest

        hint = suggest(name, columns - {"policy", "member", "step"})
        raise InputError.single(
            "--outcome",
            f"{name!r} is not recorded in this run{hint}"
            + (" (run with record='all')" if results.record != "all" else ""),
        )
    return results.files.member_values(name, policy, step, con)


def outcome_of_interest(
    results: Results,
    outcome: str,
    *,
    policy: str = "baseline",
    at: str | int = "horizon",
    threshold: float | None = None,
    below: bool = False,
) -> tuple[np.ndarray, str]:
    """Which members show the outcome of interest, and the condition in words.

    ``decoupled`` (or any 0/1 quantity) needs no threshold; another measure is of interest where
    it exceeds ``threshold`` (or falls below it with ``below``).
    """
    from alliancesim.analysis.experiments import measure_step

    step = measure_step(results.model, at)
    label = results.model.clock.label(step)
    values = member_values(results, outcome, policy, step)
    if threshold is None:
        if not np.all((values == 0) | (values == 1)):
            raise InputError.single(
                "--threshold",
                f"{outcome!r} is not a yes/no outcome: give --threshold (and --below for low values)",
            )
        word = "by" if outcome == "decoupled" else "at"
        return values == 1, f"{outcome} {word} {label}"
    if below:
        return values < threshold, f"{outcome} < {threshold:g} at {label}"
    return values > threshold, f"{outcome} > {threshold:g} at {label}"


def discover(
    results: Results,
    outcome: str = "decoupled",
    *,
    policy: str = "baseline",
    at: str | int = "horizon",
    threshold: float | None = None,
    below: bool = False,
    boxes: int = 1,
    mass_min: float = 0.05,
) -> DiscoveryResult:
    """PRIM boxes over the run's sampled parameters where ``outcome`` happens under ``policy``.

    A run of several rival structures is searched one structure at a time, as ``alliancesim
    discover`` does (its ``--structure``, default the seed's): ``discover(results.structure(name))``.
    """
    if results.several:
        raise ValueError(
            "discover searches one structure's members and this run holds "
            f"{len(results.structures)}: discover(results.structure(name)) with a name among "
            f"{', '.join(results.structures)}"
        )
    y, condition = outcome_of_interest(
        results, outcome, policy=policy, at=at, threshold=threshold, below=below
    )
    x = results.parameters()
    found = find_boxes(x, y, boxes=boxes, mass_min=mass_min)
    return DiscoveryResult(
        scenario=results.model.scenario.id,
        policy=policy,
        outcome=outcome,
        condition=condition,
        members=len(y),
        cases=int(y.sum()),
        boxes=found,
    )


def discovery_figure(box: PrimBox, *, title: str = "") -> Any:
    """A Plotly figure: the peeling trajectory (coverage vs density) and the chosen box's ranges."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.45, 0.55],
        subplot_titles=("peeling trajectory", "chosen box (share of each parameter's range)"),
    )
    traj = box.trajectory
    fig.add_trace(
        go.Scatter(
            x=[t["coverage"] for t in traj],
            y=[t["density"] for t in traj],
            mode="lines+markers",
            marker={
                "color": [t["res_dim"] for t in traj],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": "restricted", "x": 0.42},
            },
            text=[f"box {t['id']}: mass {t['mass']:.2f}, {t['res_dim']} restricted" for t in traj],
            hovertemplate="coverage %{x:.3f}<br>density %{y:.3f}<br>%{text}<extra></extra>",
            name="trajectory",
        ),
        row=1,
        col=1,
    )
    chosen = traj[box.selected]
    fig.add_trace(
        go.Scatter(
            x=[chosen["coverage"]],
            y=[chosen["density"]],
            mode="markers",
            marker={"size": 16, "symbol": "circle-open", "color": "red", "line": {"width": 3}},
            name=f"chosen box {box.selected}",
        ),
        row=1,
        col=1,
    )
    names, starts, widths, labels = [], [], [], []
    for r in box.restrictions:
        span = r["full_high"] - r["full_low"]
        lo = (r["low"] - r["full_low"]) / span
        hi = (r["high"] - r["full_low"]) / span
        names.append(r["parameter"])
        starts.append(lo)
        widths.append(hi - lo)
        labels.append(
            f"{r['low']:.4g} – {r['high']:.4g} (of {r['full_low']:.4g} – {r['full_high']:.4g})"
        )
    fig.add_trace(
        go.Bar(
            y=names,
            x=widths,
            base=starts,
            orientation="h",
            text=labels,
            hovertemplate="%{y}<br>%{text}<extra></extra>",
            name="box",
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="coverage", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="density", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="position within the sampled range", range=[0, 1], row=1, col=2)
    fig.update_layout(
        title=title or f"PRIM box: {box.describe()}",
        template="plotly_white",
        height=max(420, 40 * len(names) + 200),
        showlegend=False,
    )
    return fig
