"""The public surface is exactly what docs/api.md lists (in the manner of httpx's
test_exported_members): each entry point exports exactly its ``__all__``, nothing defined there
without an underscore is left out of it, and the documentation names only public API."""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

import alliancesim

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    "InputError",
    "Model",
    "Problem",
    "Results",
    "Scenario",
    "Summary",
    "__version__",
    "builtin_scenarios",
    "compile_model",
    "load_scenario",
    "run",
}

ENTRY_POINTS = (
    "alliancesim",
    "alliancesim.scenario",
    "alliancesim.scenario.loops",
    "alliancesim.workflows",
    "alliancesim.presentation",
    "alliancesim.claims",
    "alliancesim.analysis",
    "alliancesim.analysis.scores",
    "alliancesim.analysis.weights",
    "alliancesim.analysis.rivals",
    "alliancesim.history_file",
    "alliancesim.analysis.robust",
    "alliancesim.analysis.pathways",
    "alliancesim.analysis.signposts",
    "alliancesim.analysis.levers",
    "alliancesim.analysis.optimize",
    "alliancesim.decisions",
    "alliancesim.presentation.robust_view",
    "alliancesim.report.robust_figures",
    "alliancesim.store",
    "alliancesim.report",
    "alliancesim.report.figures",
    "alliancesim.bargaining",
    "alliancesim.ema",
    "alliancesim.testing",
    "alliancesim.web",
)


def test_public_api_is_stable():
    assert set(alliancesim.__all__) == EXPECTED
    for name in alliancesim.__all__:
        assert hasattr(alliancesim, name), name


def test_version_matches_package_metadata():
    from importlib.metadata import version

    assert alliancesim.__version__ == version("alliancesim")


def test_the_api_page_lists_every_entry_point():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(alliancesim[a-z_.]*)` \|", page, re.M))
    assert listed == set(ENTRY_POINTS)


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_each_entry_point_exports_exactly_its_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__), "a name is listed twice"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names {item!r}, which does not exist"
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    if module.__file__ and module.__file__.endswith("__init__.py"):
        # a package's face: every public attribute is something it means to export
        leaked = public - exported
    else:
        # a module: its own public definitions are exported; names it imports are not its API
        leaked = {
            n for n in public - exported if getattr(vars(module)[n], "__module__", "") == name
        }
    assert not leaked, f"{name} exposes {sorted(leaked)} outside its __all__"


def _documented_references() -> list[tuple[str, str]]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += sorted((ROOT / "examples").glob("*.py"))
    out = []
    for path in files:
        for ref in re.findall(r"\balliancesim(?:\.[A-Za-z_]+)+", path.read_text(encoding="utf-8")):
            out.append((path.name, ref))
    return out


def _is_public(reference: str) -> bool:
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        if module_name in ENTRY_POINTS:
            rest = parts[cut:]
            if not rest:
                return True
            module = importlib.import_module(module_name)
            if rest[0] not in module.__all__:
                return False
            value = getattr(module, rest[0])
            for attr in rest[1:]:  # a method or attribute of a public class or value
                if attr.startswith("_") or not hasattr(value, attr):
                    return False
                value = getattr(value, attr)
            return True
    return False


def test_the_documentation_names_only_public_api() -> None:
    private = [f"{file}: {ref}" for file, ref in _documented_references() if not _is_public(ref)]
    assert not private, "documented but not public:\n" + "\n".join(private)
