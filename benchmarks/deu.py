"""Each bargaining model's forecast error on real EU legislative outcomes (DEU III).

Data: Arregui, J. & Perarnaud, C. (2021), "A new dataset on legislative decision-making
in the European Union: the DEU III dataset", doi 10.34810/data53, CC BY 4.0; the subset
prepared in the public repository blksv/predictioneers_game (odd-numbered proposals,
GDP row added, invalid outcomes removed), kept in ``shared/reference/deu3_tuning.tsv``.
Each issue has positions ``p<actor>`` and saliences ``s<actor>`` on 0–100 for the
Commission, the Parliament and the member states, the reference point ``rp`` (the
status quo) and the real outcome ``out``.

For every issue with a recorded outcome, each model forecasts from the actors that
state a position, once with equal capabilities and once with GDP capabilities (the
file's second row); the table gives the mean absolute error against ``out`` (0–100).
Nothing is tuned: every model runs with its defaults (EUM 8 rounds, the SMP until
KTAB's stopping rule); the Nash model needs a status quo, so it (and the status-quo
baseline) is scored on the issues that record ``rp``, and every model is scored on
that subset too for a like-for-like comparison. A position without a salience (17 of
3631) is given salience 50.

Run: ``.venv/bin/python benchmarks/deu.py [--quick] [--data PATH]``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from alliancesim.bargaining import Stakeholders, forecast

DEFAULT_DATA = (
    Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "deu3_tuning.tsv"
)
MISSING_SALIENCE = 50.0


def load(path: Path) -> tuple[list[str], np.ndarray, list[dict[str, object]]]:
    """Actor codes, GDP per actor and the issues: positions, saliences (0–1), rp, out."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header, gdp_row, body = rows[0], rows[1], rows[2:]
    pos_cols = [
        i
        for i, h in enumerate(header)
        if h.startswith("p") and h[1:] and f"s{h[1:]}" in header and i > 12
    ]
    actors = [header[i][1:] for i in pos_cols]
    sal_cols = [header.index(f"s{a}") for a in actors]
    gdp = np.array([float(gdp_row[i]) for i in pos_cols])
    rp_col, out_col = header.index("rp"), header.index("out")
    issues = []
    for r in body:
        if r[out_col] == "":
            continue
        present = [k for k, i in enumerate(pos_cols) if r[i] != ""]
        pos = np.array([float(r[pos_cols[k]]) for k in present])
        sal = (
            np.array(
                [
                    float(r[sal_cols[k]]) if r[sal_cols[k]] != "" else MISSING_SALIENCE
                    for k in present
                ]
            )
            / 100
        )
        issues.append(
            {
                "name": f"{r[2]} {r[4]}",
                "actors": present,
                "position": pos,
                "salience": sal,
                "rp": float(r[rp_col]) if r[rp_col] != "" else np.nan,
                "out": float(r[out_col]),
            }
        )
    return actors, gdp, issues


def table_for(issue: dict[str, object], names: list[str], capability: np.ndarray) -> Stakeholders:
    idx = issue["actors"]
    n = len(idx)  # type: ignore[arg-type]
    return Stakeholders(
        actors=tuple(names[k] for k in idx),  # type: ignore[union-attr]
        issues=("issue",),
        capability=capability[idx][:, None],  # type: ignore[index]
        position=np.asarray(issue["position"]).reshape(n, 1),
        salience=np.asarray(issue["salience"]).reshape(n, 1),
        status_quo=np.array([issue["rp"]]),
        source="deu3",
        scale=(0.0, 100.0),
    )


def forecasts_for(table: Stakeholders) -> dict[str, float]:
    """Every model's final forecast and the baselines for one issue."""
    x = table.position[:, 0]
    out: dict[str, float] = {}
    for model in ("compromise", "median", "eum", "smp"):
        out[model] = float(forecast(model, table).forecasts[-1, 0])
    out["median actor (unweighted)"] = float(np.median(x))
    if np.isfinite(table.status_quo[0]):
        out["nash"] = float(forecast("nash", table).forecasts[-1, 0])
        out["status quo (rp)"] = float(table.status_quo[0])
    return out


ROWS = [
    ("compromise", "compromise (c·s-weighted mean)"),
    ("median", "weighted median (Condorcet winner)"),
    ("eum", "eum (Scholz reading, 8 rounds)"),
    ("smp", "smp (KTAB defaults, stop rule)"),
    ("nash", "nash (over rp)"),
    ("median actor (unweighted)", "baseline: median actor (unweighted)"),
    ("status quo (rp)", "baseline: status quo (rp)"),
]


def main(argv: list[str] | None = None) -> int:
    """Print the mean-absolute-error table (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first 30 scored issues")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="deu3_tuning.tsv")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(
            f"data file not found: {args.data} (shared/reference/deu3_tuning.tsv)", file=sys.stderr
        )
        return 2
    names, gdp, issues = load(args.data)
    if args.quick:
        issues = issues[:30]
    started = time.perf_counter()
    errors: dict[str, dict[str, list[float]]] = {}
    with_rp: dict[str, dict[str, list[float]]] = {}
    for label, capability in (("equal", np.ones(len(names))), ("GDP", gdp)):
        errors[label], with_rp[label] = {}, {}
        for issue in issues:
            table = table_for(issue, names, capability)
            for key, value in forecasts_for(table).items():
                err = abs(value - float(issue["out"]))  # type: ignore[arg-type]
                errors[label].setdefault(key, []).append(err)
                if np.isfinite(float(issue["rp"])):  # type: ignore[arg-type]
                    with_rp[label].setdefault(key, []).append(err)
    n_all = len(issues)
    n_rp = sum(np.isfinite(float(i["rp"])) for i in issues)  # type: ignore[arg-type]
    print(
        f"DEU III subset: {n_all} issues with an outcome ({n_rp} also record the reference point rp); "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(
        f"| model | MAE, equal capabilities (n={n_all}) | MAE, GDP capabilities (n={n_all}) "
        f"| MAE equal, issues with rp (n={n_rp}) | MAE GDP, issues with rp (n={n_rp}) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")

    def cell(table: dict[str, list[float]], key: str) -> str:
        values = table.get(key)
        return "—" if not values else f"{np.mean(values):.1f}"

    for key, label in ROWS:
        full_e = cell(errors["equal"], key) if key not in ("nash", "status quo (rp)") else "—"
        full_g = cell(errors["GDP"], key) if key not in ("nash", "status quo (rp)") else "—"
        print(
            f"| {label} | {full_e} | {full_g} | {cell(with_rp['equal'], key)} | {cell(with_rp['GDP'], key)} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
