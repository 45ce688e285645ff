"""`alliancesim bargain FILE`: tables, JSON, plots and exit codes (DESIGN.md §5: 0 ok, 2 bad input).

Cases: the EC table (BDM 1994, data/ec_car_emissions.csv) and KTAB's dummyData_3Dim
(data/ktab/, MIT licence).
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def bargain(cli):
    """``bargain(*args)``: ``alliancesim bargain`` with these arguments (paths too) in this
    process: (exit code, stdout, stderr)."""
    return lambda *args: cli("bargain", *map(str, args))


def test_table_for_the_ec_case(bargain, data_dir):
    code, out, _ = bargain(data_dir / "ec_car_emissions.csv")
    assert code == 0
    assert "eum: positions and forecast by round" in out
    forecast_row = next(line for line in out.splitlines() if "forecast" in line and "│" in line)
    assert [cell.strip() for cell in forecast_row.split("│")[2:5]] == [
        "7.0",
        "8.4",
        "9.6",
    ]  # round 0 median 7, then Table 2
    assert "ran 8 rounds" in out


def test_json_and_model_choice(bargain, data_dir):
    code, out, _ = bargain(data_dir / "ec_car_emissions.csv", "--model", "compromise", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["model"] == "compromise" and doc["rounds"] == 1
    assert doc["issues"][0]["forecast"][0] == pytest.approx(500.3 / 67.7)
    assert doc["issues"][0]["positions"]["UK"] == [10.0, 10.0]


def test_ktab_file_defaults_to_smp_and_plots(bargain, data_dir, tmp_path):
    target = tmp_path / "traj.html"
    code, out, _ = bargain(data_dir / "ktab" / "dummyData_3Dim.csv", "--plot", target)
    assert code == 0
    assert "smp: positions and forecast by round" in out and "KTAB's probability" in out
    html = target.read_text()
    assert "plotly" in html and "SActor-00" in html


def test_options_and_status_quo(bargain, data_dir):
    code, out, _ = bargain(
        data_dir / "ec_car_emissions.csv",
        "-m",
        "nash",
        "--status-quo",
        "4",
        "--json",
    )
    assert code == 0
    # Denmark, the Netherlands, Germany and Luxembourg sit at the status quo (4 years): each holds a veto.
    assert json.loads(out)["issues"][0]["forecast"][0] == pytest.approx(4.0, abs=1e-6)
    code, out, _ = bargain(
        data_dir / "ec_car_emissions.csv",
        "-o",
        "offer_rule=strongest",
        "--json",
    )
    assert code == 0 and json.loads(out)["options"]["offer_rule"] == "strongest"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "bdm"], "valid models: compromise, median, eum, smp, nash"),
        (["--rounds", "-1"], "expected a number of rounds >= 0"),
        (["-o", "nonsense=1"], "unknown eum option"),
        (["--plot", "out.png"], "only .html"),
        (["-m", "nash"], "needs a status quo"),
    ],
)
def test_bad_arguments_exit_2(bargain, data_dir, args, message):
    code, out, err = bargain(data_dir / "ec_car_emissions.csv", *args)
    assert code == 2
    assert message in " ".join((out + err).split())  # Rich wraps long lines


def test_bad_csv_exits_2_naming_line_and_field(bargain, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("actor,capability,position,salience\nA,1,2,0.5\nB,lots,3,0.5\n")
    code, out, err = bargain(path)
    assert code == 2
    expected = f"{path}:3: capability: expected a capability > 0, got 'lots'"
    assert "".join(expected.split()) in "".join((out + err).split())  # Rich may wrap a long path
    assert "Traceback" not in out + err
