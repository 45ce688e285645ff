"""``serve``: the browser dashboard on this machine (loopback only unless told otherwise), with
its limits (runs at once, worlds per run, free disk to keep), its accepted host names and an
access token printed at start."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from alliancesim.errors import InputError, Problem

__all__ = ["parse_size", "serve"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)
_HOST_NAME = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def parse_size(text: str, option: str = "--disk-reserve") -> int:
    """Bytes from ``1GB``, ``500MB``, ``2GiB``, ``0`` or a plain number of bytes (InputError)."""
    match = _SIZE.match(text)
    if not match:
        raise InputError.single(option, f"expected a size such as 1GB, 500MB or 0, got {text!r}")
    number, unit, binary = match.groups()
    power = "kmgt".find(unit.lower()) + 1 if unit else 0
    base = 1024 if binary else 1000
    return int(float(number) * base**power)


def _check_port(host: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise InputError.single("--port", f"expected a port from 1 to 65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except socket.gaierror:
        raise InputError.single("--host", f"cannot resolve host {host!r}") from None
    except OSError as exc:
        raise InputError.single(
            "--port", f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
        ) from None


def _check_limits(max_runs: int, max_members: int, allow_host: list[str]) -> None:
    problems = []
    if max_runs < 1:
        problems.append(("--max-runs", f"expected at least 1 run at a time, got {max_runs}"))
    if max_members < 10:
        problems.append(("--max-members", f"expected at least 10 worlds, got {max_members}"))
    for name in allow_host:
        if not _HOST_NAME.match(name.strip()):
            problems.append(
                ("--allow-host", f"expected a host name or name:port (no scheme), got {name!r}")
            )
    if problems:
        raise InputError([Problem(option, None, "", message) for option, message in problems])


def serve(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on. The default serves this machine only."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    workdir: Annotated[
        Path | None,
        typer.Option(
            help="Keep uploads, the background-job cache and the run slots here (default: a "
            "temp dir)."
        ),
    ] = None,
    max_runs: Annotated[
        int,
        typer.Option(help="Ensemble runs at once, across all visitors; more are refused."),
    ] = 2,
    max_members: Annotated[
        int, typer.Option(help="Plausible worlds (members) one run may have.")
    ] = 100_000,
    disk_reserve: Annotated[
        str,
        typer.Option(
            help="Free disk a run must leave on the store's file system (e.g. 1GB, 500MB, 0); "
            "a run that would not is refused before it starts."
        ),
    ] = "1GB",
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Also answer to this host name (name or name:port; repeatable), e.g. the "
            "name others use to reach a server bound to 0.0.0.0. Other Host headers get 403."
        ),
    ] = None,
    no_token: Annotated[
        bool,
        typer.Option(
            "--no-token",
            help="Do not require the access token. Anyone (and any web page, through your "
            "browser) who reaches the port can then run, upload and delete.",
        ),
    ] = False,
) -> None:
    """Open the dashboard: run ensembles, play the scenario turn by turn, browse past runs.

    Runs are kept in the experiment store ($ALLIANCESIM_HOME), as with `alliancesim run`. The
    address printed at start carries an access token: open it to get in (see docs/dashboard.md,
    "Security model").
    """
    console = Console(stderr=True)
    extra = list(allow_host or [])
    _check_limits(max_runs, max_members, extra)
    reserve = parse_size(disk_reserve)
    _check_port(host, port)
    from alliancesim.web.security import allowed_hosts, is_loopback, new_token

    if not is_loopback(host):
        console.print(
            f"[yellow]warning[/yellow] listening on {escape(host)}: anyone who can reach this "
            "address and has the token can run simulations and delete stored runs.",
            highlight=False,
        )
    token = None if no_token else new_token()
    if no_token:
        console.print(
            "[bold red]WARNING: --no-token: this dashboard asks no token.[/bold red] Anyone "
            "who can reach the port — another user of this machine, or a web page open in your "
            "browser that guesses it — can run simulations, upload files and delete stored "
            "runs. Use it only on a machine and browser you alone use.",
            highlight=False,
        )
    from alliancesim.web import create_app

    app = create_app(
        workdir=workdir,
        max_runs=max_runs,
        max_members=max_members,
        disk_reserve=reserve,
        token=token,
        allowed_hosts=allowed_hosts(host, port, extra),
    )
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    from alliancesim.sizes import human_bytes

    console.print(
        f"alliancesim dashboard on [bold]{escape(url)}[/bold]\n"
        f"store: {escape(str(app._alliancesim.store.home))}; limits: {max_runs} run(s) at "
        f"once, {max_members:,} worlds per run, {human_bytes(reserve)} of disk kept free; "
        "Ctrl+C to stop",
        highlight=False,
        soft_wrap=True,
    )
    app.run(host=host, port=port, debug=False)
