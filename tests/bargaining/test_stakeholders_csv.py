"""Reading stakeholder tables: KTAB's scenario CSV and the plain actor/capability/position/salience CSV.

Formats: KTAB ``smpc`` CSV as documented in shared/BARGAINING.md §3 (line 1 name,
description, actors, dims; line 2 header; one row per actor) and the plain table of
docs/bargaining.md. Problems must come back as InputError naming file, line and field.
"""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.bargaining import read_ktab_csv, read_stakeholder_csv, read_stakeholders
from alliancesim.errors import InputError


def write(tmp_path, text, name="table.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path):
    with pytest.raises(InputError) as info:
        read_stakeholders(path)
    return [(p.line, p.field, p.message) for p in info.value.problems]


def assert_problem_named(tmp_path, text, expected):
    """Reading ``text`` fails with a problem on ``expected``'s (line, field) whose message
    contains its text."""
    line, field, message = expected
    found = problems_of(write(tmp_path, text))
    assert any(p[0] == line and p[1] == field and message in p[2] for p in found), found


def test_ktab_file(data_dir):
    """dummyData_3Dim.csv: 7 actors, 3 dimensions; positions and saliences /100 as KTAB does (smpread.cpp)."""
    table = read_ktab_csv(data_dir / "ktab" / "dummyData_3Dim.csv")
    assert table.actors[0] == "SActor-00" and len(table.actors) == 7
    assert table.issues == ("Pstn1", "Pstn2", "Pstn3")
    assert table.position[0].tolist() == [75.79, 6.37, 70.45]
    assert table.salience[0].tolist() == pytest.approx([0.4953, 0.0591, 0.2815])
    assert table.capability[0].tolist() == [102.543] * 3
    assert table.scale == (0.0, 100.0)


def test_plain_single_issue_with_percent_salience(data_dir):
    """The EC table (BDM 1994): saliences given as percentages are read as fractions."""
    table = read_stakeholders(data_dir / "ec_car_emissions.csv")
    assert table.issues == ("issue",)
    assert table.salience[:, 0].tolist() == pytest.approx(
        [0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7]
    )
    assert np.isnan(table.status_quo[0])


def test_plain_several_issues_and_status_quo(tmp_path):
    path = write(
        tmp_path,
        "Actor,Issue,Capability,Position,Salience\n"
        "USA,cost,100,80,0.9\nROK,cost,40,20,0.8\nstatus_quo,cost,,30,\n"
        "USA,china,100,90,0.7\nJPN,china,50,70,0.5\n",
    )
    table = read_stakeholder_csv(path)
    assert table.actors == ("USA", "ROK", "JPN") and table.issues == ("cost", "china")
    assert table.status_quo[0] == 30.0 and np.isnan(table.status_quo[1])
    assert np.isnan(table.position[1, 1]) and table.position[2, 1] == 70.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actor,capability,position\nA,1,2\n", (1, "header", "missing column(s) salience")),
        (
            "actor,capability,position,salience,colour\nA,1,2,0.5,red\n",
            (1, "colour", "unknown column"),
        ),
        (
            "actor,capability,position,salience\nA,one,2,0.5\n",
            (2, "capability", "expected a capability > 0, got 'one'"),
        ),
        (
            "actor,capability,position,salience\nA,-1,2,0.5\n",
            (2, "capability", "expected a capability > 0, got -1"),
        ),
        (
            "actor,capability,position,salience\nA,1,x,0.5\n",
            (2, "position", "expected a position (a number), got 'x'"),
        ),
        (
            "actor,capability,position,salience\nA,1,2,150\n",
            (2, "salience", "expected a salience from 0 to 1"),
        ),
        (
            "actor,capability,position,salience\nA,1,2,0.5\nA,2,3,0.5\n",
            (3, "actor", "appears twice"),
        ),
        ("actor,capability,position,salience\n,1,2,0.5\n", (2, "actor", "expected an actor name")),
        ("actor,capability,position,salience\n", (2, "row", "no actors")),
    ],
)
def test_plain_problems_name_line_and_field(tmp_path, text, expected):
    assert_problem_named(tmp_path, text, expected)


def test_all_problems_reported_at_once(tmp_path):
    path = write(tmp_path, "actor,capability,position,salience\nA,x,1,0.5\nB,1,y,0.5\nC,1,2,7000\n")
    with pytest.raises(InputError) as info:
        read_stakeholders(path)
    assert [(p.line, p.field) for p in info.value.problems] == [
        (2, "capability"),
        (3, "position"),
        (4, "salience"),
    ]
    assert str(info.value.problems[0]).startswith(f"{path}:2: capability:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "S,desc,3,1,\nActor,Desc,Power,P,S\nA,a,10,50,50\nB,b,10,40,50\n",
            (1, "actors", "announces 3 actors but 2"),
        ),
        (
            "S,desc,2,1,\nActor,Desc,Power,P,S\nA,a,10,150,50\nB,b,10,40,50\n",
            (3, "P", "position from 0 to 100"),
        ),
        (
            "S,desc,2,2,\nActor,Desc,Power,P1,S1,P2,S2\nA,a,10,50,60,50,60\nB,b,10,40,50,4,5\n",
            (3, "salience", "add up to 120"),
        ),
        (
            "S,desc,2,1,\nActor,Desc,Power,P,S\nA,a,0,50,50\nB,b,10,40,50\n",
            (3, "Power", "capability > 0"),
        ),
        (
            "S,desc,2,2,\nActor,Desc,Power,P,S\nA,a,10,50,50\nB,b,10,40,50\n",
            (2, "header", "expected 7 columns"),
        ),
        (
            "S,desc,2,1,\nActor,Desc,Power,P,S\nA,a,10,50\nB,b,10,40,50\n",
            (3, "row", "expected 5 values"),
        ),
    ],
)
def test_ktab_problems_name_line_and_field(tmp_path, text, expected):
    assert_problem_named(tmp_path, text, expected)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_stakeholders(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is empty"):
        read_stakeholders(write(tmp_path, "\n\n"))
