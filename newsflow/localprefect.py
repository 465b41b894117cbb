"""A Prefect server and process workers on 127.0.0.1, as subprocesses: what
the scale-out tests and ``bench/scaleout.py`` run, and what a person runs
by hand on several machines (see README, "Scale-out path").

Offline and without telemetry: ``DO_NOT_TRACK=1``,
``PREFECT_SERVER_ANALYTICS_ENABLED=false``, the UI off.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from newsflow.errors import NewsflowError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prefect() -> str:
    return str(Path(sys.executable).with_name("prefect"))


def quiet_env(home: Path, api: str | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false", **extra}
    if api:
        env["PREFECT_API_URL"] = api
    else:
        env.pop("PREFECT_API_URL", None)
    return env


@dataclass
class LocalPrefect:
    """A running server (``api``) and the workers started on it."""

    api: str
    home: Path
    logs: Path
    server: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process that talks to this server."""
        return quiet_env(self.home, self.api, **extra)

    def start_worker(self, name: str, pool: str = "newsflow", limit: int | None = 1,
                     **extra_env: str) -> subprocess.Popen[bytes]:
        """``prefect worker start --pool POOL --type process --name NAME
        --limit LIMIT`` (flow runs at a time: one, as a one-core machine
        would), polling every second (the default is every 10 s)."""
        env = self.env(PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="5", **extra_env)
        log = (self.logs / f"worker-{name}.log").open("ab")
        cmd = [_prefect(), "worker", "start", "--pool", pool, "--type", "process", "--name", name]
        proc = subprocess.Popen(cmd + (["--limit", str(limit)] if limit else []),
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers[name] = proc
        return proc

    def stop_worker(self, name: str) -> None:
        proc = self.workers.pop(name, None)
        if proc is not None:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the worker and the flow runs it started
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def local_prefect(home: Path, logs: Path, timeout: float = 120.0) -> Iterator[LocalPrefect]:
    """Start ``prefect server start`` on a free loopback port; stop it and
    every worker started on it afterwards."""
    home.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = (logs / "prefect-server.log").open("ab")
    server = subprocess.Popen([_prefect(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=quiet_env(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    running = LocalPrefect(api, home, logs, server)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise NewsflowError(f"prefect server exited ({server.returncode}); see {logs / 'prefect-server.log'}")
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise NewsflowError(f"prefect server did not answer in {timeout:.0f} s; see {logs}")
            time.sleep(0.3)
        yield running
    finally:
        for name in list(running.workers):
            running.stop_worker(name)
        _stop(server)
