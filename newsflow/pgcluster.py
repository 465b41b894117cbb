"""A throw-away PostgreSQL cluster on 127.0.0.1, for the tests, the
scale-out benchmark and trying the lake on one machine.

It uses the server binaries of Debian's ``postgresql-15`` package
(``/usr/lib/postgresql/15/bin``, or ``NEWSFLOW_PG_BIN``): ``initdb`` a
fresh cluster in a temporary folder, ``pg_ctl start`` it on a free port
with trust authentication on loopback only, and ``pg_ctl stop`` plus
removal of the folder afterwards.  As root, the server runs as the
``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from newsflow.errors import NewsflowError

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True, slots=True)
class Cluster:
    """A running cluster: connect with ``dsn(dbname)``."""

    port: int
    folder: Path
    user: str = "postgres"

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq keyword/value connection string (what ``ducklake:postgres:`` takes)."""
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"

    def lake(self, dbname: str = "lake") -> str:
        """The ``--db`` value of a lake whose catalog is database ``dbname``."""
        return f"ducklake:postgres:{self.dsn(dbname)}"

    def create_database(self, name: str) -> None:
        _run([str(pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name])


def pg_bin() -> Path:
    path = Path(os.environ.get("NEWSFLOW_PG_BIN") or DEFAULT_BIN)
    if not (path / "initdb").exists():
        raise NewsflowError(f"no PostgreSQL server binaries in {path}: install Debian's postgresql-15 "
                            "(apt-get install postgresql-15) or set NEWSFLOW_PG_BIN to the folder holding initdb")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise NewsflowError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr.strip()[-800:]}")


@contextmanager
def temporary_cluster(max_connections: int = 100, durable: bool = False) -> Iterator[Cluster]:
    """Start a fresh cluster and yield it; stop and remove it afterwards.
    Not ``durable`` (the tests): fsync and synchronous commit off, which a
    throw-away cluster can afford; ``durable`` (the benchmark): PostgreSQL's
    defaults, so that commit rates are those of a real catalog."""
    binaries = pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="newsflow-pg-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    data = folder / "data"
    port = _free_port()
    started = False
    try:
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
              "-E", "UTF8", "--locale=C"])
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder}"
                f" -c max_connections={max_connections} -c client_connection_check_interval=1000")
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(folder / "server.log"),
              "-w", "-t", "60", "start"])
        started = True
        yield Cluster(port, folder)
    finally:
        if started:
            try:
                _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"])
            except (NewsflowError, subprocess.TimeoutExpired):
                pass  # the folder goes below either way; a left-over server dies with its data
        shutil.rmtree(folder, ignore_errors=True)


def wait_ready(cluster: Cluster, timeout: float = 30.0) -> None:
    """Wait until the cluster accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", cluster.port)) == 0:
                return
        time.sleep(0.1)
    raise NewsflowError(f"PostgreSQL on port {cluster.port} did not accept connections within {timeout:.0f} s")
