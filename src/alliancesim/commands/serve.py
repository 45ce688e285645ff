"""``serve``: the browser dashboard on this machine (loopback only unless told otherwise)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from alliancesim.errors import InputError

__all__ = ["serve"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def serve(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on. The default serves this machine only."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Keep uploads and the background-job cache here (default: a temp dir)."),
    ] = None,
) -> None:
    """Open the dashboard: run ensembles, play the scenario turn by turn, browse past runs.

    Runs are kept in the experiment store ($ALLIANCESIM_HOME), as with `alliancesim run`.
    """
    console = Console(stderr=True)
    _check_port(host, port)
    if not _is_loopback(host):
        console.print(
            f"[yellow]warning[/yellow] listening on {host}: anyone who can reach this address "
            "can run simulations and delete stored runs (there is no login).",
            highlight=False,
        )
    from alliancesim.web import create_app

    app = create_app(workdir=workdir)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"alliancesim dashboard on [bold]http://{shown}:{port}/[/bold] "
        f"(store: {app._alliancesim.store.home}); Ctrl+C to stop",
        highlight=False,
    )
    app.run(host=host, port=port, debug=False)
