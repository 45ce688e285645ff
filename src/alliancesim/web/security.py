"""Who may talk to the dashboard, and in what form: the Host header, the access token, and the
shape of a callback request — checked on every request before any of the app's code runs
(a Flask ``before_request`` hook, first in line).

- **Host header.** The server answers only to the names it is bound to (for a loopback bind
  ``localhost``, ``127.0.0.1`` and ``[::1]``, each with the port) and to names given with
  ``--allow-host``. A web page that rebinds its own domain name to 127.0.0.1 (DNS rebinding)
  sends its own name as Host, and gets 403 before anything runs.
- **Access token.** ``alliancesim serve`` makes a random token and prints the URL with
  ``?token=…``, as Jupyter does. The first request carrying the right token gets an HttpOnly,
  SameSite=Strict cookie and is redirected to the clean URL; from then on every request — the
  page, its scripts, every callback (run, upload, delete…) — needs that cookie (or the header
  ``Authorization: token <token>`` for scripts), else 403 with a page saying how to get in.
  Tokens are compared in constant time (``hmac.compare_digest``).
- **Callback requests.** A POST to ``/_dash-update-component`` must be standard JSON, nested at
  most ``MAX_JSON_DEPTH`` deep, and name a callback of this app with exactly the inputs and
  states it declares; anything else is 400 with a one-line reason. The values themselves are
  the callbacks' business (:mod:`alliancesim.web.values`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import numpy as np
from flask import Flask, Response, redirect, request

__all__ = [
    "MAX_JSON_DEPTH",
    "Guard",
    "allowed_hosts",
    "cookie_name",
    "is_loopback",
    "new_token",
]

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects a callback request may have (the page's deepest is
about 10: a game's history inside the callback's state)."""
TOKEN_BYTES = 32
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD = ("0.0.0.0", "::", "")
CALLBACK_PATH = "/_dash-update-component"


def new_token() -> str:
    """A fresh random access token (URL-safe, 256 bits)."""
    import secrets

    return secrets.token_urlsafe(TOKEN_BYTES)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _with_port(name: str, port: int) -> list[str]:
    name = name.lower()
    if ":" in name and not name.startswith("["):  # a bare IPv6 address
        name = f"[{name}]"
    names = [f"{name}:{port}"]
    if port == 80:
        names.append(name)
    return names


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host header values a server bound to ``host``:``port`` answers to.

    A loopback bind answers to ``localhost``, ``127.0.0.1`` and ``[::1]``; a bind to one
    address or name answers to it; a bind to every interface (``0.0.0.0``, ``::``) to the
    loopback names and this machine's host names. ``extra`` adds names (``name`` means the
    server's port; ``name:port`` is taken as it is)."""
    names: list[str] = []
    if is_loopback(host):
        names += LOOPBACK_NAMES
        if host not in ("localhost", "127.0.0.1", "::1"):
            names.append(host)
    elif host in WILDCARD:
        names += LOOPBACK_NAMES
        names += {socket.gethostname(), socket.getfqdn()}
    else:
        names.append(host)
    out: set[str] = set()
    for name in names:
        out.update(_with_port(name, port))
    for name in extra:
        name = name.strip().lower()
        if not name:
            continue
        bracketed_port = name.startswith("[") and "]:" in name
        plain_port = not name.startswith("[") and name.count(":") == 1
        if bracketed_port or plain_port:
            out.add(name)
        else:
            out.update(_with_port(name, port))
    return frozenset(out)


def cookie_name(host_header: str) -> str:
    """The cookie holding the token for the server at this Host (browsers share cookies
    between ports of one host, so each port has its own)."""
    _, _, port = host_header.rpartition(":")
    return f"alliancesim-token-{port}" if port.isdigit() else "alliancesim-token"


def _same(supplied: str | None, token: str) -> bool:
    if not supplied:
        return False
    return hmac.compare_digest(
        supplied.encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass")
    )


REFUSED_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>alliancesim dashboard: {title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;
color:#1d2733}}code{{background:#eef1f4;padding:0 .2em}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""

NEED_TOKEN = (
    "<p>This dashboard needs its access token. Open the address that "
    "<code>alliancesim serve</code> printed when it started: it ends in "
    "<code>?token=…</code>. Your browser then keeps the token in a cookie for this address.</p>"
    "<p>If you no longer have that address, stop the server and start it again: it prints a "
    "new one.</p>"
)


def _refuse(status: int, title: str, body: str) -> Response:
    wants_html = request.method == "GET" and request.path != CALLBACK_PATH
    if wants_html:
        page = REFUSED_PAGE.format(title=title, body=body)
        response = Response(page, status=status, mimetype="text/html")
    else:
        response = Response(f"{title}\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings skipped), without parsing it."""
    stripped = re.sub(rb'"[^"\\]*(?:\\.[^"\\]*)*"', b'""', data)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    closes = (codes == ord("]")) | (codes == ord("}"))
    steps = opens.astype(np.int32) - closes.astype(np.int32)
    return int(np.cumsum(steps).max()) if len(steps) else 0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not standard JSON")


def _pattern(ident: str) -> dict[str, Any] | None:
    if not ident.startswith("{"):
        return None
    return json.loads(ident)


def _matches(pattern: dict[str, Any], ident: Any) -> bool:
    if not isinstance(ident, dict) or set(ident) != set(pattern):
        return False
    for key, want in pattern.items():
        got = ident[key]
        if isinstance(want, list):  # a wildcard: any scalar id value
            if isinstance(got, dict | list) or got is None:
                return False
        elif got != want:
            return False
    return True


def _entries_problem(declared: list[dict[str, str]], given: Any, kind: str) -> str | None:
    if not isinstance(given, list) or len(given) != len(declared):
        return f"{kind} must be a list of {len(declared)} entries"
    for spec, entry in zip(declared, given, strict=True):
        pattern = _pattern(spec["id"])
        where = f"{kind} {spec['id']}.{spec['property']}"
        if pattern is None:
            if not isinstance(entry, dict) or entry.get("id") != spec["id"]:
                return f"{where}: expected an entry for this component"
            if entry.get("property") != spec["property"]:
                return f"{where}: expected property {spec['property']!r}"
            continue
        if not isinstance(entry, list):
            return f"{where}: expected a list of matching components"
        for item in entry:
            if not isinstance(item, dict) or not _matches(pattern, item.get("id")):
                return f"{where}: an entry's id does not match {spec['id']}"
            if item.get("property") != spec["property"]:
                return f"{where}: expected property {spec['property']!r}"
            if spec["property"] == "id" and item.get("value") != item.get("id"):
                return f"{where}: a component's id value must be its id"
    return None


def _names_an_input(declared: list[dict[str, str]], prop_id: str) -> bool:
    ident, _, prop = prop_id.rpartition(".")
    for spec in declared:
        if spec["property"] != prop:
            continue
        pattern = _pattern(spec["id"])
        if pattern is None:
            if ident == spec["id"]:
                return True
            continue
        try:
            parsed = json.loads(ident, parse_constant=_reject_constant)
        except ValueError:
            continue
        if _matches(pattern, parsed):
            return True
    return False


def callback_problem(callback_map: dict[str, Any], body: Any) -> str | None:
    """Why a parsed callback request cannot be for this app (None if it can)."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "the request names no callback of this dashboard"
    callback = callback_map[output]
    if "callback" not in callback:
        return "this callback runs in the browser"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    for prop_id in changed:
        if not _names_an_input(callback["inputs"], prop_id):
            return f"changedPropIds: {prop_id[:80]!r} is not an input of this callback"
    outputs = body.get("outputs")
    multi = output.startswith("..")
    if multi:
        count = len(output[2:-2].split("..."))
        if not isinstance(outputs, list) or len(outputs) != count:
            return f"outputs must be a list of {count} entries"
    elif not isinstance(outputs, dict):
        return "outputs must be one entry"
    for entry in outputs if isinstance(outputs, list) else [outputs]:
        if not isinstance(entry, dict) or not isinstance(entry.get("property"), str):
            return "every output needs an id and a property"
        if not isinstance(entry.get("id"), str | dict):
            return "every output needs an id and a property"
    return _entries_problem(callback["inputs"], body.get("inputs"), "inputs") or (
        _entries_problem(callback.get("state", []), body.get("state", []), "state")
    )


class Guard:
    """The checks every request passes before the app sees it (see the module).

    ``hosts``: the Host header values accepted (None: any, for embedding behind a proxy that
    checks them, and for the test suite). ``token``: the access token (None: none needed).
    ``callback_map``: the app's callbacks, for the shape of callback requests.
    """

    def __init__(
        self,
        *,
        hosts: frozenset[str] | None,
        token: str | None,
        callback_map: dict[str, Any],
    ):
        self.hosts = hosts
        self.token = token
        self.callback_map = callback_map

    def install(self, server: Flask) -> None:
        """Run :meth:`check` before every request, first of all hooks; add safe headers."""
        server.before_request_funcs.setdefault(None, []).insert(0, self.check)
        server.after_request(self.headers)

    @staticmethod
    def headers(response: Response) -> Response:
        """No framing (clickjacking), no referrer (the token must not travel)."""
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    def check(self) -> Response | None:
        """None to let the request through, else the refusal."""
        host = request.headers.get("Host", "")
        if self.hosts is not None and host.lower() not in self.hosts:
            log.warning("refused a request for Host %r (%s %s)", host, request.method, request.path)
            return _refuse(
                403,
                "Unknown host name",
                "<p>This dashboard answers only to the names it was started on (see "
                "<code>alliancesim serve --allow-host</code>).</p>",
            )
        if self.token is not None:
            refused = self._check_token(host)
            if refused is not None:
                return refused
        if request.method == "POST" and request.path.endswith(CALLBACK_PATH):
            return self._check_callback()
        return None

    def _check_token(self, host: str) -> Response | None:
        assert self.token is not None
        given = request.args.get("token")
        if given is not None:
            if not _same(given, self.token):
                log.warning("refused a wrong token (%s %s)", request.method, request.path)
                return _refuse(403, "Wrong access token", NEED_TOKEN)
            if request.method != "GET":
                return None
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
            path = "/" + request.path.lstrip("/")  # never //elsewhere (another site)
            target = path + (f"?{urlencode(rest)}" if rest else "")
            response = redirect(target, code=302)
            response.set_cookie(
                cookie_name(host), self.token, httponly=True, samesite="Strict", path="/"
            )
            response.headers["Cache-Control"] = "no-store"
            return response
        if _same(request.cookies.get(cookie_name(host)), self.token):
            return None
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "token" and _same(value.strip(), self.token):
            return None
        return _refuse(403, "Access token needed", NEED_TOKEN)

    def _check_callback(self) -> Response | None:
        data = request.get_data(cache=True)
        if json_depth(data) > MAX_JSON_DEPTH:
            return _refuse(400, f"The request is nested more than {MAX_JSON_DEPTH} deep", "")
        try:
            body = json.loads(data, parse_constant=_reject_constant)
        except ValueError as exc:
            return _refuse(400, f"The request is not JSON: {str(exc)[:120]}", "")
        problem = callback_problem(self.callback_map, body)
        if problem is not None:
            log.warning("refused a callback request: %s", problem)
            return _refuse(400, f"Malformed callback request: {problem}", "")
        return None
