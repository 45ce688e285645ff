"""examples/quickstart.ipynb runs from top to bottom (executed with nbclient, as Jupyter
would), so the example cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parents[2] / "examples" / "quickstart.ipynb"


def test_the_quickstart_notebook_runs(tmp_path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("Scenario <code>us-rok-2025</code>" in h for h in html)
    assert any("P(decoupling by" in h for h in html)
    verdicts = [h for h in html if "claim_id" in h]
    assert verdicts and "recommendations_prevent_decoupling" in verdicts[0]
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "consult_first − early_dialogue" in printed
