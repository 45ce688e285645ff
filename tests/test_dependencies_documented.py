"""The README's dependency table and pyproject.toml name the same packages in the same groups
(required, required on one platform, or an extra)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def test_readme_and_pyproject_agree_on_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared: set[tuple[str, str]] = set()
    for requirement in project["dependencies"]:
        group = "required on windows only" if "win32" in requirement else "required"
        declared.add((_name(requirement), group))
    for extra, requirements in project["optional-dependencies"].items():
        declared |= {(_name(r), f"extra `{extra}`") for r in requirements}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
    documented = {
        (cells[0].lower(), cells[1].lower())
        for row in section.splitlines()
        if row.startswith("| ") and not row.startswith(("| package", "| ---"))
        for cells in [[c.strip() for c in row.strip("|").split("|")]]
    }
    assert documented == declared
