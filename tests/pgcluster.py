"""A throwaway PostgreSQL cluster for tests and benchmarks: Debian's server binaries (the
``postgresql`` package; ``.ci/run`` installs it), a data folder in a temporary directory, a free
local port, no fsync. ``initdb``/``pg_ctl`` refuse to run as root, so as root they run as the
``postgres`` user through ``runuser``.

One cluster serves a whole test session; each test gets a fresh database copied from a template
that already holds an empty plan (``CREATE DATABASE … TEMPLATE``, a file copy: milliseconds).

Run as a script to keep one running for development: ``python tests/pgcluster.py 55432``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# a role whose password the server checks (every other role is trusted on 127.0.0.1): what the
# "bad password" tests need
PASSWORD_ROLE = "relman_pw"
PASSWORD = "s3cret-pw"


def bin_dir() -> Path:
    """The newest installed server's binaries (``/usr/lib/postgresql/N/bin``), or pg_ctl on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (apt-get install postgresql); .ci/run installs them"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="relman-pg-"))
        self.data = self.root / "data"
        self.bin = bin_dir()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o755)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
        )
        (self.data / "pg_hba.conf").write_text(
            f"local all all trust\n"
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            f"host all all 127.0.0.1/32 trust\n"
        )
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start"
        )
        self.sql(
            "postgres",
            f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'",
        )

    def _run(self, program: str, *args: str) -> None:
        cmd = [str(self.bin / program), *args]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.root)

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, *statements: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as con:
            for statement in statements:
                con.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        extra = f" TEMPLATE {template}" if template else ""
        self.sql("postgres", f'CREATE DATABASE "{name}"{extra}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _has_c_utf8() -> bool:
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    return any(line.lower() in ("c.utf8", "c.utf-8") for line in out.split())


if __name__ == "__main__":  # a cluster for development, until Ctrl-C
    cluster = Cluster(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"PostgreSQL on port {cluster.port} in {cluster.root}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        cluster.stop()
