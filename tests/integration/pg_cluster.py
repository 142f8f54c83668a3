"""A throw-away PostgreSQL cluster for tests that stop and start the server itself.

``initdb`` in a temporary directory, ``pg_ctl`` on a free port of 127.0.0.1 with its socket
in that directory, trust authentication, no fsync (nothing here needs to survive a power
cut). As root, the binaries run as the ``postgres`` user (the server refuses to run as
root). Every wait is bounded; ``destroy`` stops the server, whatever state it is in, and
removes the directory.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import skip_or_fail

WAIT_SECONDS = 30


def _bin_dir() -> Path | None:
    """The newest PostgreSQL installation's bin directory (Debian's layout), else the PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One PostgreSQL server in a temporary directory; ``url`` reaches its ``postgres`` database."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            skip_or_fail("PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH")
        assert bin_dir is not None
        self._bin = bin_dir
        self._as_owner: list[str] = []
        self.directory = Path(tempfile.mkdtemp(prefix="closerhub-pg-"))
        if os.geteuid() == 0:  # the server refuses to run as root
            if shutil.which("runuser") is None:
                skip_or_fail("running as root without runuser: cannot start PostgreSQL as the postgres user")
            self._as_owner = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.directory, user="postgres")
        self.data = self.directory / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_owner, str(self._bin / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_SECONDS + 15, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}\n{done.stderr}\n{self.log()}")

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", str(WAIT_SECONDS), "start")

    def stop(self, mode: str = "fast", *, wait: bool = True) -> None:
        """``fast``: sessions are ended (57P01); ``smart``: new sessions refused (57P03) until the last ends."""
        waiting = "-w" if wait else "-W"
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, waiting, "-t", str(WAIT_SECONDS), "stop")

    def wait_until_stopped(self) -> None:
        """After ``stop(wait=False)``: block (bounded) until the server is down."""
        deadline = time.monotonic() + WAIT_SECONDS
        while self.is_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not stop within {WAIT_SECONDS} s\n{self.log()}")
            time.sleep(0.1)

    def is_running(self) -> bool:
        command = [*self._as_owner, str(self._bin / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(command, capture_output=True, timeout=WAIT_SECONDS, check=False).returncode == 0

    def destroy(self) -> None:
        """Stop the server if it runs (immediately: nothing in it is kept) and remove its directory."""
        try:
            if self.data.exists() and self.is_running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
