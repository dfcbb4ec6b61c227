"""A throwaway PostgreSQL (initdb in a temp dir, run as the ``postgres`` user, as .ci/run
does) and a throwaway redis-server, each on a free loopback port; both stop on exit."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def postgres(*, tuned_for_bench: bool = True) -> Iterator[str]:
    """Yields a DATABASE_URL of a fresh database ``bench``."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not bins:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    pgbin = bins[-1]
    data = tempfile.mkdtemp(prefix="bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([f"{pgbin}/initdb", "-D", data, "-U", "postgres", "--auth=trust"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200"
    if tuned_for_bench:
        # Durability is not what these benches measure; the query plans are.
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    log = os.path.join(data, "server.log")
    subprocess.run(
        _as_postgres([f"{pgbin}/pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        subprocess.run(
            _as_postgres(
                [
                    f"{pgbin}/psql",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    "-qc",
                    "CREATE DATABASE bench",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            _as_postgres([f"{pgbin}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Yields a redis:// URL of a fresh, memory-only redis-server."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its waited-for children) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks


def proc_peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0
