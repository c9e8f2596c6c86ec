"""CPU accounting of the load benchmarks (bench_pages.py, bench_indicators.py): who spends the 2 cores.

The client (10 Python threads), the gunicorn processes and the PostgreSQL backends run on the same machine, beside
whatever else it runs. Reading /proc before and after a load gives each one's CPU per request, and the machine's
total busy time the share of the other processes.
"""

import os
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pids) -> float:
    """User + system CPU seconds of these processes (those gone are ignored)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def machine_busy() -> float:
    """CPU seconds spent by the whole machine (every core), idle and I/O wait excluded."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:8]]
    return (sum(values) - values[3] - values[4]) / TICK


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *(int(p) for p in out)]


def database_backends() -> list[int]:
    """The PostgreSQL backends connected to the measured database (the server's persistent connections)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [row[0] for row in cur.fetchall()]


class CpuMeter:
    """meter = CpuMeter(server_pid); `with meter: <load>` once or more (the deltas add up); then
    meter.per_request(n) -> ms of CPU per request, by owner."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.totals = [0.0, 0.0, 0.0, 0.0]  # client, server, database, machine
        self.wall = 0.0

    def _read(self):
        return (time.process_time(), process_cpu(self.server), process_cpu(self.backends), machine_busy())

    def __enter__(self):
        self.server = children(self.server_pid)
        self.backends = database_backends()
        self.start, self.started = self._read(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        end = self._read()
        self.wall += time.perf_counter() - self.started
        self.totals = [total + b - a for total, a, b in zip(self.totals, self.start, end, strict=True)]
        return False

    def per_request(self, requests: int) -> dict:
        client, server, database, machine = self.totals
        n = max(requests, 1)
        return {
            "client_ms": client / n * 1000,
            "server_ms": server / n * 1000,
            "postgres_ms": database / n * 1000,
            "other_ms": max(machine - client - server - database, 0.0) / n * 1000,
            "machine_ms": machine / n * 1000,
            "cores_busy": machine / self.wall if self.wall else 0.0,
            "requests_per_s": n / self.wall if self.wall else 0.0,
        }


def cpu_note(cpu: dict) -> str:
    """French summary for docs/benchmarks.md."""
    return (
        f"CPU par requête : client {cpu['client_ms']:.1f} ms, gunicorn {cpu['server_ms']:.1f} ms, PostgreSQL "
        f"{cpu['postgres_ms']:.1f} ms, autres processus de la machine {cpu['other_ms']:.1f} ms "
        f"({cpu['requests_per_s']:.0f} requêtes/s, {cpu['cores_busy']:.2f} cœurs occupés sur 2)"
    ).replace(".", ",")
