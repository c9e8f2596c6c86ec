"""Leases of background jobs: a job proves it is alive by writing a heartbeat; one whose lease expired is dead.

A worker killed mid-job (SIGKILL, out of memory, a machine restart) never writes « Échec » itself: without a
lease its job would stay « En cours » forever. A running job writes ``heartbeat_at`` at each step and, from a
thread of its own (its own database connection), every ``heartbeat_interval()`` seconds even while one long SQL
statement runs. A job whose heartbeat is older than ``lease_seconds()`` is taken as dead: it is marked failed and
can be relaunched.
"""

import threading

from django.conf import settings
from django.db import connection

DEFAULT_LEASE_SECONDS = 300


def lease_seconds() -> int:
    """How long a job may stay silent before it is taken as dead (setting CEP_JOB_LEASE_SECONDS)."""
    return int(getattr(settings, "CEP_JOB_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def heartbeat_interval() -> float:
    """Seconds between two heartbeats of the thread: a sixth of the lease (five missed beats before expiry)."""
    return max(0.05, lease_seconds() / 6)


class Heartbeat:
    """Context manager: call ``beat()`` every heartbeat_interval() seconds from a daemon thread while the block runs.

    ``beat`` runs in the thread, on the thread's own database connection (closed when the block ends). A beat
    that fails is logged and skipped: the next one tries again, and the lease covers a few missed beats."""

    def __init__(self, beat, interval: float | None = None):
        self.beat = beat
        self.interval = interval if interval is not None else heartbeat_interval()
        self._stop = threading.Event()
        self._thread = None

    def _run(self):
        import logging

        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # noqa: BLE001 - a missed beat is not fatal, the lease covers it
                    logging.getLogger(__name__).exception("heartbeat failed")
        finally:
            connection.close()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, name="cep-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False
