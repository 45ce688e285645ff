"""A minimal client of Dash's callback protocol: what the browser's renderer posts to
``/_dash-update-component``. The dashboard's tests and the load benchmark use it to drive the
server without a browser.

A callback is named by its output string as ``/_dash-dependencies`` lists it (e.g.
``..turn-game.data...turn-error.children..``); inputs and states are given as a mapping from
``"<id>.<property>"`` to a value (for a pattern-matching ``ALL`` entry, ``"<json id>.<property>"``
to a list of ``{"id": {...}, "value": ...}``).

A dashboard started by ``alliancesim serve`` needs its access token: give it as ``token`` and
every request carries ``Authorization: token <token>``. Background callbacks (Run) are started
and then polled as the renderer does (:meth:`DashClient.call_background`).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DashClient", "callback_payload", "split_output", "token_from_url"]


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


def token_from_url(url: str) -> tuple[str, str | None]:
    """(base URL, token) from the address ``alliancesim serve`` prints (``…/?token=…``)."""
    base, _, query = url.partition("?")
    match = re.search(r"(?:^|&)token=([^&]+)", query)
    return base.rstrip("/"), match.group(1) if match else None


class DashClient:
    """Posts callbacks to a running Dash server, as a browser would (stdlib HTTP only)."""

    def __init__(self, base_url: str, timeout: float = 60.0, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token
        self._dependencies: dict[str, dict[str, Any]] | None = None
        self._end_id: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    def get(self, path: str) -> bytes:
        """GET a path of the server; the body."""
        request = urllib.request.Request(self.base_url + path, headers=self._headers())
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return response.read()

    @property
    def end_id(self) -> str:
        """The page load's signed id, which background callbacks are bound to (from the
        page's Dash config)."""
        if self._end_id is None:
            page = self.get("/").decode()
            match = re.search(
                r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S
            )
            config = json.loads(match.group(1)) if match else {}
            self._end_id = str(config.get("end_id", ""))
        return self._end_id

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
        payload = callback_payload(self.dependencies[output], values, changed)
        return dict((self._post(payload) or {}).get("response", {}))

    def _post(self, payload: Mapping[str, Any], query: str = "") -> dict[str, Any] | None:
        """POST a callback payload; the decoded answer, or None for 204 (nothing to update)."""
        request = urllib.request.Request(
            self.base_url + "/_dash-update-component" + query,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **self._headers()},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status == 204:
                return None
            return dict(json.loads(response.read()))

    def call_background(
        self,
        output: str,
        values: Mapping[str, Any],
        changed: Sequence[str],
        *,
        poll: float = 0.5,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Start a background callback and poll it until it answers, as the renderer does;
        its response (``{component id: {property: value}}``, progress updates left out).
        TimeoutError after ``timeout`` seconds (default: the client's)."""
        from urllib.parse import quote

        payload = callback_payload(self.dependencies[output], values, changed)
        query = f"?endId={quote(self.end_id)}"
        started = self._post(payload, query) or {}
        if "cacheKey" not in started:
            return dict(started.get("response", {}))
        query += f"&cacheKey={quote(started['cacheKey'])}&job={quote(started['job'])}"
        for entry in payload["inputs"]:
            if isinstance(entry, dict):
                entry["value"] = None
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            answer = self._post(payload, query)
            if answer is None:  # finished with nothing to update
                return {}
            if "response" in answer:
                return dict(answer["response"])
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from {output} after {timeout or self.timeout} s")
            time.sleep(poll)
