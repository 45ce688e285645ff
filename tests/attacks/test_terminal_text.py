"""Attacks through scenario text printed on a terminal (hardening issue, item 5): control
characters are refused where they are written; Rich markup in any text is printed as written,
by every command that shows it, and never breaks a command or a stored run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.scenario.loader import load_scenario

TOY = Path(__file__).parents[1] / "structures" / "data" / "toy.toml"
MARKUP = "[/] [link=http://evil.example]click[/link] [bold red]loud"


def toy_copy(tmp_path: Path, replace: dict[str, str]) -> Path:
    """The structures toy (with its modules) in ``tmp_path``, its text replaced."""
    shutil.copytree(TOY.parent / "modules", tmp_path / "modules")
    text = TOY.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "toy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "char",
    ["\\u001b", "\\u0007", "\\u007f", "\\u009b", "\\u202e", "\\u0000"],
    ids=["escape", "bell", "delete", "c1-csi", "right-to-left-override", "nul"],
)
def test_a_control_character_is_refused_where_it_is_written(tmp_path, char) -> None:
    path = toy_copy(
        tmp_path,
        {'label = "Consultation reassures"': f'label = "Consultation {char}[31mreassures"'},
    )
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    line = path.read_text().splitlines().index(f'label = "Consultation {char}[31mreassures"')
    assert problem.line == line + 1
    assert problem.field == "mechanisms[0].accounts[0].label"
    assert "control characters" in problem.message and "at character 14;" in problem.message


def test_validate_exits_2_on_a_control_character(tmp_path, cli) -> None:
    path = toy_copy(tmp_path, {'title = "Two': 'title = "\\u001b]8;;http://x\\u0007Two'})
    code, out, err = cli("validate", str(path))
    assert code == 2
    assert "toy.toml:5: scenario.title: text may not contain control characters" in err
    assert "\x1b" not in out + err and "Traceback" not in err


def test_tabs_and_line_breaks_are_plain_text(tmp_path) -> None:
    path = toy_copy(tmp_path, {'title = "Two': 'title = "\\tTwo\\nlines'})
    assert load_scenario(path).scenario.title.startswith("\tTwo\nlines")


def test_markup_is_printed_as_written_by_every_command(tmp_path, monkeypatch, cli) -> None:
    """A title and labels full of Rich markup: show, run, runs, show-run, claims, compare
    and report all succeed and print the text literally (no link, no style, no crash)."""
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path / "home"))
    path = toy_copy(
        tmp_path,
        {
            'title = "Two': f'title = "{MARKUP} Two',
            'label = "Consultation reassures"': f'label = "{MARKUP} reassures"',
            'label = "What consultation does"': f'label = "{MARKUP} consultation"',
        },
    )
    commands = [
        ["show", str(path)],
        ["run", str(path), "-n", "40"],
        ["runs"],
        ["show-run", "latest"],
        ["claims", str(path), "-n", "40", "--no-discover"],
        ["compare", str(path), "-n", "40"],
        ["report", "latest", "--out", str(tmp_path / "r.html")],
    ]
    for args in commands:
        code, out, err = cli(*args)
        assert code == 0, (args, err)
        assert "Traceback" not in err
        assert "\x1b]8;" not in out  # no terminal hyperlink was opened
        if args[0] in ("show", "show-run"):
            assert MARKUP in re.sub(r"\s+", " ", out), args
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "[link=http://evil.example]click[/link]" in html
    assert '<a href="http://evil.example' not in html
