"""A minimal client of Dash's callback protocol: what the browser's renderer posts to
``/_dash-update-component``. The dashboard's tests and the load benchmark use it to drive the
server without a browser.

A callback is named by its output string as ``/_dash-dependencies`` lists it (e.g.
``..turn-game.data...turn-error.children..``); inputs and states are given as a mapping from
``"<id>.<property>"`` to a value (for a pattern-matching ``ALL`` entry, ``"<json id>.<property>"``
to a list of ``{"id": {...}, "value": ...}``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DashClient", "callback_payload", "split_output"]


def split_output(output: str) -> list[dict[str, str]]:
    """The (id, property) pairs of a callback's output string."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, _, prop = part.rpartition(".")
        out.append({"id": ident, "property": prop})
    return out


def _entries(specs: Sequence[Mapping[str, str]], values: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for spec in specs:
        key = f"{spec['id']}.{spec['property']}"
        if spec["id"].startswith("{"):
            out.append(
                [
                    {"id": item["id"], "property": spec["property"], "value": item.get("value")}
                    for item in values.get(key, [])
                ]
            )
        else:
            entry = {"id": spec["id"], "property": spec["property"]}
            if key in values:
                entry["value"] = values[key]
            out.append(entry)
    return out


def callback_payload(
    dependency: Mapping[str, Any], values: Mapping[str, Any], changed: Sequence[str]
) -> dict[str, Any]:
    """The JSON body the renderer posts for a callback, given its dependency entry."""
    outputs = split_output(dependency["output"])
    return {
        "output": dependency["output"],
        "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
        "inputs": _entries(dependency["inputs"], values),
        "state": _entries(dependency.get("state", []), values),
        "changedPropIds": list(changed),
    }


class DashClient:
    """Posts callbacks to a running Dash server, as a browser would (stdlib HTTP only)."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._dependencies: dict[str, dict[str, Any]] | None = None

    def get(self, path: str) -> bytes:
        """GET a path of the server; the body."""
        with urllib.request.urlopen(self.base_url + path, timeout=self.timeout) as response:
            return response.read()

    @property
    def dependencies(self) -> dict[str, dict[str, Any]]:
        """The app's callbacks by output string."""
        if self._dependencies is None:
            entries = json.loads(self.get("/_dash-dependencies"))
            self._dependencies = {e["output"]: e for e in entries}
        return self._dependencies

    def find(self, output_id: str) -> str:
        """The output string of the callback that writes a component (by its id)."""
        for output in self.dependencies:
            if any(o["id"] == output_id for o in split_output(output)):
                return output
        raise KeyError(output_id)

    def call(
        self, output: str, values: Mapping[str, Any], changed: Sequence[str]
    ) -> dict[str, Any]:
        """Run one callback; its response (``{component id: {property: value}}``)."""
        body = json.dumps(callback_payload(self.dependencies[output], values, changed)).encode()
        request = urllib.request.Request(
            self.base_url + "/_dash-update-component",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status == 204:  # no update
                return {}
            return json.loads(response.read()).get("response", {})
