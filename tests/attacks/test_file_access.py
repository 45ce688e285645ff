"""Attacks on what a scenario makes alliancesim read (hardening issue, items 1, 2 and the include
chain of item 10).

Each case is refused with a located problem, and refused *before* the work it would cause: no
file outside the built-in library is opened for an upload, no device or pipe is opened at all,
and ``tomllib`` never sees a text that would make it slow. The hang and blow-up cases are checked
by asserting that the guard acts before the dangerous call, never by timing.
"""

from __future__ import annotations

import base64
import os
import sys
import tomllib
from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario
from alliancesim.scenario import loader as loader_module
from alliancesim.scenario.reading import (
    MAX_FILE_BYTES,
    MAX_INCLUDE_DEPTH,
    MAX_KEY_PARTS,
    MAX_LINE_CHARS,
    MAX_NESTING,
    Includes,
    text_limits,
)
from alliancesim.web.sources import ScenarioSources
from alliancesim.web.upload import accept_upload

TOY = Path(__file__).resolve().parents[1] / "web" / "data" / "toy.toml"


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def with_include(text: str, target: str) -> str:
    return text.replace("horizon = 8", f"horizon = 8\ninclude = [{target!r}]", 1)


@pytest.fixture
def sources(tmp_path: Path) -> ScenarioSources:
    return ScenarioSources(tmp_path / "uploads")


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every path the scenario reader opens, in order."""
    seen: list[str] = []
    real = os.open

    def spy(path, flags, *args, **kwargs):
        seen.append(str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr("alliancesim.scenario.reading.os.open", spy)
    return seen


# --------------------------------------------------------------------------------------------
# item 1: the upload's include check cannot be bypassed


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "utf8-bom"])
@pytest.mark.parametrize(
    "target", ["/etc/hostname", "/etc/shadow", "/dev/zero", "../../etc/passwd", "dilemma.toml"]
)
def test_an_upload_includes_nothing_but_built_in_modules(sources, opened, bom, target) -> None:
    text = with_include(TOY.read_text(), target)
    result = accept_upload(data_url(bom + text.encode()), "evil.toml", sources)
    assert not result.ok
    [problem] = result.problems
    assert problem.file == "evil.toml"
    assert problem.field == "scenario.include[0]"
    assert problem.line == text.splitlines().index(f"include = [{target!r}]") + 1
    assert problem.message.startswith("an uploaded scenario may include only built-in rule modules")
    assert not any(p.endswith(target.lstrip("./")) for p in opened), opened
    assert all("alliancesim-upload-" in p for p in opened)  # only the uploaded file itself


def test_an_upload_may_include_a_built_in_module(sources) -> None:
    text = with_include(TOY.read_text(), "dilemma")
    result = accept_upload(data_url(b"\xef\xbb\xbf" + text.encode()), "ok.toml", sources)
    # the toy's names do not fit the dilemma module's rules, but the include itself is followed
    assert not any("may include only" in p.message for p in result.problems)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_is_never_opened(tmp_path, opened) -> None:
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)  # opening it for reading would block until a writer came
    scenario = tmp_path / "s.toml"
    scenario.write_text(with_include(TOY.read_text(), str(pipe)))
    with pytest.raises(InputError) as caught:
        load_scenario(scenario)
    [problem] = caught.value.problems
    assert "not a regular file" in problem.message
    assert str(pipe) not in opened
    with pytest.raises(InputError) as caught:
        load_scenario(pipe)
    assert "not a regular file" in caught.value.problems[0].message


def test_a_device_is_never_read(tmp_path, opened) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this platform")
    scenario = tmp_path / "s.toml"
    scenario.write_text(with_include(TOY.read_text(), "/dev/zero"))
    with pytest.raises(InputError) as caught:
        load_scenario(scenario)
    [problem] = caught.value.problems
    assert problem.field == "scenario.include[0]" or "not a regular file" in problem.message
    assert "/dev/zero" not in opened


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    monkeypatch.setattr(
        "alliancesim.scenario.reading.os.read",
        lambda *a: pytest.fail("read a file over the limit"),
    )
    with pytest.raises(InputError) as caught:
        load_scenario(big)
    assert "file too large" in caught.value.problems[0].message


def test_the_include_policy_is_one_decision(tmp_path) -> None:
    module = tmp_path / "mine.toml"
    module.write_text('[module]\nid = "mine"\ntitle = "Mine"\n')
    assert loader_module.include_target("mine.toml", None, Includes.BUILTIN) == (
        "an uploaded scenario may include only built-in rule modules "
        f"({', '.join(loader_module.builtin_modules())}), got 'mine.toml'"
    )
    assert loader_module.include_target("dilemma", None, Includes.BUILTIN) == (
        loader_module.LIBRARY / "dilemma.toml"
    )
    assert loader_module.include_target(str(module), None, Includes.FILES) == module


# --------------------------------------------------------------------------------------------
# item 2: texts that would make parsing slow are refused before tomllib sees them


@pytest.fixture
def no_parse(monkeypatch) -> None:
    monkeypatch.setattr(
        loader_module.tomllib, "loads", lambda *a, **k: pytest.fail("tomllib was called")
    )


def test_the_reported_dotted_key_attack_is_refused_unparsed(tmp_path, no_parse) -> None:
    path = tmp_path / "keys.toml"
    key = ".".join(["a"] * 24_000)  # 48 KB of key parts: 55 s of tomllib before the fix
    path.write_text(f'[scenario]\nid = "x"\n{key} = 1\n')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert problem.line == 3


@pytest.mark.parametrize("spaced", [False, True])
def test_a_dotted_key_with_many_parts_is_refused_unparsed(tmp_path, no_parse, spaced) -> None:
    path = tmp_path / "keys.toml"
    key = (" . " if spaced else ".").join(["a"] * (MAX_KEY_PARTS + 1))
    path.write_text(f'[scenario]\nid = "x"\n{key} = 1\n')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert problem.line == 3
    assert f"more than {MAX_KEY_PARTS} parts" in problem.message


def test_a_long_dotted_table_header_is_refused_unparsed(tmp_path, no_parse) -> None:
    path = tmp_path / "header.toml"
    path.write_text("# a comment\n[" + ".".join(f'"k{i}"' for i in range(500)) + "]\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.problems[0].line == 2


def test_a_long_line_is_refused_unparsed(tmp_path, no_parse) -> None:
    path = tmp_path / "line.toml"
    path.write_text('[scenario]\ntitle = "' + "x" * (MAX_LINE_CHARS + 1) + '"\n')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert problem.line == 2 and "line too long" in problem.message


def test_deep_nesting_is_refused_with_its_line(tmp_path, no_parse) -> None:
    path = tmp_path / "deep.toml"
    depth = MAX_NESTING + 5
    path.write_text('[scenario]\nid = "x"\n\nx = ' + "[" * depth + "]" * depth + "\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    [problem] = caught.value.problems
    assert problem.line == 4 and "nested too deeply" in problem.message


def test_dots_and_brackets_inside_strings_and_comments_are_not_counted() -> None:
    quoted = 'quote = "' + "a." * 200 + '" # ' + "[" * 100 + "\n"
    multi = 'note = """\n' + "[" * 100 + "\n" + "b." * 100 + '\n"""\n'
    assert text_limits(quoted + multi) is None
    assert (
        text_limits(
            "x = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, "
            "14.5, 15.5, 16.5, 17.5, 18.5]\n"
        )
        is None
    )


def test_every_built_in_file_is_within_the_limits() -> None:
    for path in sorted(loader_module.LIBRARY.glob("*.toml")):
        assert text_limits(path.read_text(encoding="utf-8")) is None, path.name
        tomllib.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# item 10 (one case): a long include chain is a located problem, not a RecursionError


def test_a_long_include_chain_stops_at_the_limit(tmp_path) -> None:
    n = 1_500
    for k in range(n):
        nxt = f'include = ["m{k + 1}.toml"]\n' if k + 1 < n else ""
        (tmp_path / f"m{k}.toml").write_text(f'[module]\nid = "m{k}"\ntitle = "M"\n{nxt}')
    scenario = tmp_path / "s.toml"
    scenario.write_text(with_include(TOY.read_text(), "m0.toml"))
    limit = sys.getrecursionlimit()
    with pytest.raises(InputError) as caught:
        load_scenario(scenario)
    assert sys.getrecursionlimit() == limit
    messages = [p.message for p in caught.value.problems]
    assert any(f"more than {MAX_INCLUDE_DEPTH} modules" in m for m in messages), messages
