"""Talking to the dashboard without a browser, for the tests of tests/web and tests/attacks.

Callback requests go through Flask's test client as the page's renderer sends them (Dash's
callback protocol: :func:`alliancesim.web.client.callback_payload`); the answers are component
trees, read with :func:`find_component` and :func:`component_text`.

(tests/ is on ``sys.path`` because tests/conftest.py lives there: ``import dashboard_support``.)
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from alliancesim.web import create_app
from alliancesim.web.client import callback_payload, split_output

__all__ = ["DashboardClient", "component_text", "find_component", "served_results_view"]


class DashboardClient:
    """Sends callback requests to an app as the renderer would, through Flask's test client."""

    def __init__(self, app: Any):
        self.client = app.server.test_client()
        deps = json.loads(self.client.get("/_dash-dependencies").data)
        self.deps = {d["output"]: d for d in deps}

    def output_of(self, component: str) -> str:
        """The callback that writes ``component``."""
        return next(o for o in self.deps if any(x["id"] == component for x in split_output(o)))

    def post(self, component: str, values: dict[str, Any], changed: list[str]) -> Any:
        """One callback request; Flask's response."""
        payload = callback_payload(self.deps[self.output_of(component)], values, changed)
        return self.client.post("/_dash-update-component", json=payload)

    def call(self, component: str, values: dict[str, Any], changed: list[str]) -> dict[str, Any]:
        """One callback request that must succeed; the outputs it answers with (none on 204)."""
        response = self.post(component, values, changed)
        assert response.status_code in (200, 204), response.data[:500]
        return json.loads(response.data)["response"] if response.status_code == 200 else {}

    def post_background(
        self, component: str, values: dict[str, Any], changed: list[str], timeout: float = 240
    ) -> Any:
        """Start a background callback (a forked job) and poll it until it answers; the last
        response."""
        page = self.client.get("/").get_data(as_text=True)
        config = re.search(r'id="_dash-config" type="application/json">(.*?)</script>', page)
        end_id = json.loads(config.group(1))["end_id"] if config else ""
        payload = callback_payload(self.deps[self.output_of(component)], values, changed)
        started = self.client.post(
            "/_dash-update-component", json=payload, query_string={"endId": end_id}
        )
        handles = json.loads(started.data)
        if "cacheKey" not in handles:
            return started
        query = {"endId": end_id, "cacheKey": handles["cacheKey"], "job": handles["job"]}
        deadline = time.monotonic() + timeout
        while True:
            answer = self.client.post("/_dash-update-component", json=payload, query_string=query)
            if answer.status_code != 200 or "response" in json.loads(answer.data):
                return answer
            if time.monotonic() > deadline:
                raise TimeoutError(f"the job of {component} did not answer in {timeout} s")
            time.sleep(0.2)


def served_results_view(home: Path, work: Path, run_id: str) -> Any:
    """The results view of stored run ``run_id`` as the dashboard serves it (through Dash's
    HTTP protocol)."""
    client = DashboardClient(create_app(home, workdir=work, warm=False))
    response = client.post("results", {"selected-run.data": run_id}, ["selected-run.data"])
    assert response.status_code == 200, response.data[:500]
    return json.loads(response.data)["response"]["results"]["children"]


def find_component(tree: Any, key: str, value: str) -> Any:
    """The first component of a serialised tree whose property ``key`` is ``value`` (None if
    there is none); searched through each component's children."""
    if isinstance(tree, list):
        for item in tree:
            found = find_component(item, key, value)
            if found is not None:
                return found
    elif isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get(key) == value:
            return tree
        return find_component(props.get("children"), key, value)
    return None


def component_text(tree: Any) -> str:
    """The text of a serialised component tree: its strings, joined as they stand."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, list):
        return "".join(component_text(t) for t in tree)
    if isinstance(tree, dict):
        return component_text(tree.get("props", {}).get("children"))
    return ""
