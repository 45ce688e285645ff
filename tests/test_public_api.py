"""The public surface of the package is exactly what `alliancesim.__all__` says."""

import alliancesim

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


def test_public_api_is_stable():
    assert set(alliancesim.__all__) == EXPECTED
    for name in alliancesim.__all__:
        assert hasattr(alliancesim, name), name


def test_version_matches_package_metadata():
    from importlib.metadata import version

    assert alliancesim.__version__ == version("alliancesim")
