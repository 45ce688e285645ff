"""Who may talk to the dashboard (hardening issue, item 6): the Host header (DNS rebinding) and
the access token. Each case is a request and the answer expected, checked before any callback
runs: a refused request never reaches the app (a spy on every callback sees nothing)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from alliancesim.errors import InputError
from alliancesim.web import create_app
from alliancesim.web.client import callback_payload
from alliancesim.web.security import allowed_hosts, cookie_name

TOKEN = "s3cret-token-for-tests-0123456789abcdef"


# --------------------------------------------------------------------------------------------
# which Host headers a bind accepts

HOST_CASES = [
    # bind host, port, --allow-host, Host header, accepted
    ("127.0.0.1", 8050, [], "127.0.0.1:8050", True),
    ("127.0.0.1", 8050, [], "localhost:8050", True),
    ("127.0.0.1", 8050, [], "LOCALHOST:8050", True),
    ("127.0.0.1", 8050, [], "[::1]:8050", True),
    ("127.0.0.1", 8050, [], "localhost", False),  # a browser on port 8050 always says the port
    ("127.0.0.1", 8050, [], "localhost:8051", False),
    ("127.0.0.1", 8050, [], "attacker.example:8050", False),  # DNS rebinding
    ("127.0.0.1", 8050, [], "127.0.0.1.attacker.example:8050", False),
    ("127.0.0.1", 8050, [], "", False),
    ("127.0.0.1", 8050, ["dash.lan"], "dash.lan:8050", True),
    ("127.0.0.1", 8050, ["dash.lan:443"], "dash.lan:443", True),
    ("127.0.0.1", 8050, ["dash.lan:443"], "dash.lan:8050", False),
    ("::1", 8050, [], "[::1]:8050", True),
    ("10.1.2.3", 9000, [], "10.1.2.3:9000", True),
    ("10.1.2.3", 9000, [], "localhost:9000", False),
    ("10.1.2.3", 80, [], "10.1.2.3", True),  # port 80 may be left out
    ("0.0.0.0", 8050, [], "localhost:8050", True),
    ("0.0.0.0", 8050, [], "10.1.2.3:8050", False),  # other machines: name it with --allow-host
    ("0.0.0.0", 8050, ["10.1.2.3"], "10.1.2.3:8050", True),
]


@pytest.mark.parametrize(("bind", "port", "extra", "host", "accepted"), HOST_CASES)
def test_the_host_header_is_checked(tmp_path, bind, port, extra, host, accepted) -> None:
    app = create_app(
        tmp_path / "home",
        workdir=tmp_path / "work",
        allowed_hosts=allowed_hosts(bind, port, extra),
        warm=False,
    )
    calls = spy_on_callbacks(app)
    client = app.server.test_client()
    headers = {"Host": host}
    page = client.get("/", headers=headers)
    layout = client.get("/_dash-layout", headers=headers)
    call = client.post("/_dash-update-component", json=results_request(), headers={"Host": host})
    if accepted:
        assert (page.status_code, layout.status_code, call.status_code) == (200, 200, 200)
        assert calls == ["results"]
    else:
        assert (page.status_code, layout.status_code, call.status_code) == (403, 403, 403)
        assert "Unknown host name" in page.get_data(as_text=True)
        assert calls == []  # refused before any callback ran


# --------------------------------------------------------------------------------------------
# the token


@pytest.fixture
def app(tmp_path) -> Any:
    return create_app(
        tmp_path / "home",
        workdir=tmp_path / "work",
        token=TOKEN,
        allowed_hosts=allowed_hosts("127.0.0.1", 8050),
        warm=False,
    )


class Browser:
    """Flask's test client talking to the app as a browser at http://127.0.0.1:8050/ would
    (its Host header, and the cookies the server set)."""

    def __init__(self, app: Any, *, jar: bool = True):
        self.client = app.server.test_client(use_cookies=jar)  # no jar: Cookie headers as given

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.get(
            path, headers={"Host": "127.0.0.1:8050", **(headers or {})}, **kwargs
        )

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        headers = {"Host": "127.0.0.1:8050", **(headers or {})}
        return self.client.post(path, headers=headers, **kwargs)


def client_of(app: Any, *, jar: bool = True) -> Browser:
    """A client at http://127.0.0.1:8050/ (``jar=False``: it keeps no cookies)."""
    return Browser(app, jar=jar)


COOKIE = cookie_name("127.0.0.1:8050")

TOKEN_CASES = [
    # what the request carries, method, path, expected status
    ("nothing", {}, "GET", "/", 403),
    ("nothing", {}, "GET", "/_dash-layout", 403),
    ("nothing", {}, "GET", "/_dash-dependencies", 403),
    ("nothing", {}, "POST", "/_dash-update-component", 403),
    ("nothing", {}, "GET", "/_dash-component-suites/dash/deps/react@18.3.1.min.js", 403),
    ("a wrong cookie", {"cookie": "wrong"}, "GET", "/", 403),
    ("a wrong cookie", {"cookie": "wrong"}, "POST", "/_dash-update-component", 403),
    ("a cookie of another port", {"other_cookie": TOKEN}, "GET", "/", 403),
    ("a non-ASCII cookie", {"cookie": "t\u00f6ken"}, "GET", "/", 403),
    ("an empty cookie", {"cookie": ""}, "GET", "/", 403),
    ("a prefix of the token", {"cookie": TOKEN[:-1]}, "GET", "/", 403),
    ("a wrong token in the URL", {"query": "nope"}, "GET", "/", 403),
    ("a wrong Authorization", {"auth": "token nope"}, "GET", "/", 403),
    ("the token as a bearer", {"auth": f"Bearer {TOKEN}"}, "GET", "/", 403),
    ("the cookie", {"cookie": TOKEN}, "GET", "/", 200),
    ("the cookie", {"cookie": TOKEN}, "GET", "/_dash-layout", 200),
    ("the cookie", {"cookie": TOKEN}, "POST", "/_dash-update-component", 200),
    ("the Authorization header", {"auth": f"token {TOKEN}"}, "GET", "/", 200),
    (
        "the Authorization header",
        {"auth": f"token {TOKEN}"},
        "POST",
        "/_dash-update-component",
        200,
    ),
    ("the token in the URL", {"query": TOKEN}, "GET", "/", 302),
]


@pytest.mark.parametrize(
    ("carries", "what", "method", "path", "status"),
    TOKEN_CASES,
    ids=[f"{c[0]}-{c[2]} {c[3]}" for c in TOKEN_CASES],
)
def test_every_request_needs_the_token(app, carries, what, method, path, status) -> None:
    calls = spy_on_callbacks(app)
    client = client_of(app, jar=False)
    headers = {"Authorization": what["auth"]} if "auth" in what else {}
    if "cookie" in what:
        headers["Cookie"] = f"{COOKIE}={what['cookie']}"
    if "other_cookie" in what:
        headers["Cookie"] = f"{cookie_name('127.0.0.1:8051')}={what['other_cookie']}"
    query = {"token": what["query"]} if "query" in what else {}
    if method == "GET":
        response = client.get(path, headers=headers, query_string=query)
    else:
        response = client.post(path, json=results_request(), headers=headers, query_string=query)
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    if status == 403:
        assert calls == []
        text = response.get_data(as_text=True)
        assert "token" in text.lower()
        if method == "GET":
            assert "?token=" in text  # says how to get in


def test_the_token_url_sets_a_strict_http_only_cookie_and_goes_to_the_clean_url(app) -> None:
    client = client_of(app)
    first = client.get("/", query_string={"token": TOKEN, "tab": "runs"})
    assert first.status_code == 302
    assert first.headers["Location"] == "/?tab=runs"  # the token is gone from the address
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert first.headers["Cache-Control"] == "no-store"
    then = client.get("/")  # the cookie from the redirect is sent back
    assert then.status_code == 200 and b"alliancesim dashboard" in then.data
    assert then.headers["X-Frame-Options"] == "DENY"
    assert then.headers["Referrer-Policy"] == "no-referrer"


def test_the_redirect_never_leaves_the_server(app) -> None:
    response = client_of(app).get(
        "/", query_string={"token": TOKEN}, environ_overrides={"PATH_INFO": "//attacker.example/x"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/attacker.example/x"


def test_tokens_are_compared_in_constant_time(app, monkeypatch) -> None:
    import hmac

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr("alliancesim.web.security.hmac.compare_digest", spy)
    client = client_of(app, jar=False)
    assert client.get("/", headers={"Cookie": f"{COOKIE}=wrong"}).status_code == 403
    assert (b"wrong", TOKEN.encode()) in compared


def test_without_a_token_the_app_asks_none(tmp_path) -> None:
    """``create_app()`` without a token (tests, embedding) answers everyone, as before."""
    app = create_app(tmp_path / "home", workdir=tmp_path / "work", warm=False)
    assert app.server.test_client().get("/").status_code == 200


# --------------------------------------------------------------------------------------------
# the serve command sets it all up


class FakeApp:
    def __init__(self, **options: Any):
        self.options = options
        self.ran: dict[str, Any] = {}

        class Dashboard:
            class store:  # noqa: N801
                home = "/tmp/home"

        self._alliancesim = Dashboard

    def run(self, **kwargs: Any) -> None:
        self.ran = kwargs


@pytest.fixture
def fake_serve(monkeypatch) -> list[FakeApp]:
    made: list[FakeApp] = []

    def fake_create_app(**options: Any) -> FakeApp:
        made.append(FakeApp(**options))
        return made[-1]

    monkeypatch.setattr("alliancesim.web.create_app", fake_create_app)
    monkeypatch.setattr("alliancesim.commands.serve._check_port", lambda host, port: None)
    return made


def serve(*args: str) -> Any:
    from alliancesim.cli import app as cli

    return CliRunner().invoke(cli, ["serve", *args])


def test_serve_prints_a_token_url_and_sets_every_guard(fake_serve) -> None:
    result = serve("--port", "8123", "--allow-host", "dash.lan")
    assert result.exit_code == 0, result.output
    [app] = fake_serve
    token = app.options["token"]
    assert len(token) >= 40
    assert f"http://127.0.0.1:8123/?token={token}" in result.output
    assert app.options["allowed_hosts"] == allowed_hosts("127.0.0.1", 8123, ["dash.lan"])
    assert "dash.lan:8123" in app.options["allowed_hosts"]
    assert (app.options["max_runs"], app.options["max_members"]) == (2, 100_000)
    assert app.options["disk_reserve"] == 10**9
    serve("--port", "8123")
    assert fake_serve[1].options["token"] != token  # a new token each start


def test_serve_without_a_token_warns_loudly(fake_serve) -> None:
    result = serve("--no-token", "--max-runs", "3", "--max-members", "500", "--disk-reserve", "0")
    assert result.exit_code == 0, result.output
    [app] = fake_serve
    assert app.options["token"] is None
    assert "WARNING: --no-token" in result.output and "delete stored runs" in result.output
    assert "?token=" not in result.output
    assert (app.options["max_runs"], app.options["max_members"]) == (3, 500)
    assert app.options["disk_reserve"] == 0


BAD_OPTIONS = [
    (["--max-runs", "0"], "--max-runs", "at least 1"),
    (["--max-members", "5"], "--max-members", "at least 10"),
    (["--disk-reserve", "lots"], "--disk-reserve", "expected a size such as 1GB"),
    (["--disk-reserve", "-1GB"], "--disk-reserve", "expected a size such as 1GB"),
    (["--allow-host", "http://evil.example"], "--allow-host", "no scheme"),
    (["--allow-host", "a b"], "--allow-host", "host name"),
]


@pytest.mark.parametrize(("args", "option", "message"), BAD_OPTIONS)
def test_bad_serve_options_exit_2_naming_the_option(fake_serve, args, option, message) -> None:
    result = serve(*args)
    assert isinstance(result.exception, InputError)
    [problem] = result.exception.problems
    assert problem.file == option and message in problem.message
    assert not fake_serve  # nothing started


SIZES = [("1GB", 10**9), ("500MB", 500 * 10**6), ("2GiB", 2 * 2**30), ("0", 0), ("1.5 gb", 1.5e9)]


@pytest.mark.parametrize(("text", "size"), SIZES)
def test_disk_reserve_sizes(text, size) -> None:
    from alliancesim.commands.serve import parse_size

    assert parse_size(text) == size


# --------------------------------------------------------------------------------------------
# helpers


def results_request() -> dict[str, Any]:
    """A harmless callback request: show no run."""
    dependency = {
        "output": "results.children",
        "inputs": [{"id": "selected-run", "property": "data"}],
    }
    return callback_payload(dependency, {"selected-run.data": None}, ["selected-run.data"])


def spy_on_callbacks(app: Any) -> list[str]:
    """Record the output of every server callback that runs from now on."""
    calls: list[str] = []
    for output, entry in app.callback_map.items():
        if "callback" not in entry:
            continue
        real = entry["callback"]

        def spy(*args: Any, _real: Any = real, _output: str = output, **kwargs: Any) -> Any:
            calls.append(_output.split(".")[0])
            return _real(*args, **kwargs)

        entry["callback"] = spy
    return calls


def test_the_spy_sees_callbacks(tmp_path) -> None:
    app = create_app(tmp_path / "home", workdir=tmp_path / "work", warm=False)
    calls = spy_on_callbacks(app)
    response = app.server.test_client().post("/_dash-update-component", json=results_request())
    assert response.status_code in (200, 204) and calls == ["results"]
    assert json.loads(response.data or b"{}") is not None
