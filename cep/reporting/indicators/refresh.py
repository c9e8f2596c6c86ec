"""Refreshing the monthly aggregate tables (models.py), set-based, one month at a time (statements: refresh_sql.py).

One month is recomputed by a few INSERT … SELECT … GROUP BY statements in one transaction: its rows are
deleted and rebuilt from the base tables (CEPs, services, dossiers, structures). Nothing is read row by row.

Incremental refresh: the months to recompute are found from the rows changed since the last refresh
(``updated_at`` of CEPs, services and dossiers after the watermark), plus the months a changed CEP counted in
at the previous refresh (CepLedger: a reopened CEP loses its exit month, a cancelled phase 3 its month).
The new watermark is the start of the refresh, or the start of the oldest transaction still running in the
database if earlier: a row saved by a transaction that commits during the refresh has an ``updated_at``
after that instant, so the next refresh sees it.

The CEPs in progress at month end are the cumulated flows (entries − moves − exits per phase) over the
months of each structure (MonthlyStock): a change in month M recomputes the stock of M and after only.

A running refresh carries a lease (cep/common/lease.py): it writes ``heartbeat_at`` after each month and from a
heartbeat thread; a refresh « En cours » whose heartbeat is older than the lease lost its process and shows
« Échec » (``expire_if_stale``), and can be relaunched. A killed refresh leaves nothing half-written: each month is
one transaction, the watermark moves only at the end, and a full rebuild clears the watermark in the transaction
that empties the tables, so the next refresh after a crash is a full one again.
"""

import datetime
import time
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from cep.common.dates import today
from cep.common.lease import Heartbeat, lease_seconds
from cep.common.months import month_start, months_between

from ..population import month_params
from . import refresh_sql as sql
from .models import RefreshState

LOCK_KEY = 72_014_2019  # pg advisory lock: one refresh at a time

Progress = Callable[[int, int, datetime.date | None], None]


STALE_MESSAGE = (
    "l'actualisation s'est arrêtée sans terminer (processus de fond interrompu). Relancez-la : les mois déjà "
    "recalculés sont justes, les autres seront recalculés."
)


class RefreshBusy(Exception):
    """Another refresh holds the lock."""


def checkpoint(step: str) -> None:
    """A point between two steps of the refresh (the crash tests stop it at each of them)."""


def expire_if_stale(state: RefreshState) -> RefreshState:
    """A refresh « En cours » whose lease expired (its process died) becomes « Échec » (no query otherwise)."""
    if state.state != RefreshState.State.RUNNING:
        return state
    cutoff = timezone.now() - datetime.timedelta(seconds=lease_seconds())
    if state.heartbeat_at is not None and state.heartbeat_at >= cutoff:
        return state
    if RefreshState.objects.filter(pk=1, state=state.state, heartbeat_at=state.heartbeat_at).update(
        state=RefreshState.State.FAILED, error=STALE_MESSAGE
    ):
        state.state, state.error = RefreshState.State.FAILED, STALE_MESSAGE
    return state


def _beat() -> None:
    RefreshState.objects.filter(pk=1, state=RefreshState.State.RUNNING).update(heartbeat_at=timezone.now())


def refresh_month(month: datetime.date, cursor=None) -> None:
    """Recompute every aggregate of one month (its rows are replaced), in the current transaction."""
    month = month_start(month)
    params = month_params(month)
    with transaction.atomic():
        cur = cursor or connection.cursor()
        try:
            cur.execute("SET LOCAL work_mem = '64MB'")  # hash aggregates in memory
            cur.execute("SET LOCAL jit = off")  # short statements: compiling costs more than it saves
            cur.execute("DELETE FROM reporting_monthlycount WHERE month = %(start)s", params)
            cur.execute("DELETE FROM reporting_monthlyduration WHERE month = %(start)s", params)
            cur.execute("DELETE FROM reporting_monthlystock WHERE month = %(start)s", params)
            cur.execute("DROP TABLE IF EXISTS ind_month_cep, ind_month_people")
            # The month's rows are few against the million dossiers: look each dossier up by its key rather
            # than hashing or scanning the whole table.
            cur.execute("SET LOCAL enable_hashjoin = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
            cur.execute(sql.MONTH_CEPS, params)
            cur.execute(sql.PEOPLE, params)
            cur.execute("SET LOCAL enable_hashjoin = on")
            cur.execute("SET LOCAL enable_mergejoin = on")
            cur.execute(sql.PUBLIC, params)
            cur.execute(sql.MOVES_AND_EXITS, params)
            cur.execute(sql.SERVICES, params)
            cur.execute(sql.DURATIONS, params)
            cur.execute(sql.STOCK_FLOWS, params)
            cur.execute("DROP TABLE ind_month_cep, ind_month_people")
        finally:
            if cursor is None:
                cur.close()


def _finish(cur, since: datetime.date | None) -> None:
    """Stock rows up to the current month, cumulated stocks from `since`, offers (all months: few rows)."""
    current = month_start(today())
    cur.execute(sql.STOCK_FILL, {"current": current})
    filled = cur.fetchone()[0]
    since = min(filter(None, [since, filled]), default=None)
    if since is not None:
        cur.execute(sql.STOCK_CUMULATE, {"since": since})
    cur.execute("DELETE FROM reporting_monthlyoffers")
    cur.execute(sql.OFFERS, {"current": current})


def _run(todo, *, full: bool, moves_watermark: bool, since, progress: Progress | None) -> None:
    if full:
        with transaction.atomic(), connection.cursor() as cur:
            # DELETE, not TRUNCATE: the application role has DML rights only (cep/audit/db_roles.py). The watermark
            # goes with the rows: if this rebuild dies half-way, the next refresh is a full one again.
            for table in ("monthlycount", "monthlyduration", "monthlystock", "cepledger"):
                cur.execute(f"DELETE FROM reporting_{table}")
            RefreshState.objects.filter(pk=1).update(watermark=None)
            checkpoint("emptied")
    for done, month in enumerate(todo, start=1):
        with connection.cursor() as cur:
            refresh_month(month, cur)
        checkpoint(f"month:{done}")
        RefreshState.objects.filter(pk=1).update(months_done=done, current_month=month, heartbeat_at=timezone.now())
        if progress:
            progress(done, len(todo), month)
    with transaction.atomic(), connection.cursor() as cur:
        if moves_watermark:
            where = "" if full else "WHERE updated_at > %(wm)s"
            cur.execute(sql.LEDGER_UPSERT.format(where=where), {"wm": since})
        _finish(cur, todo[0] if todo else None)
        checkpoint("finish")


def touched_months(since: datetime.datetime) -> list[datetime.date]:
    with connection.cursor() as cur:
        cur.execute(sql.TOUCHED, {"wm": since})
        return [row[0] for row in cur.fetchall()]


def all_months() -> list[datetime.date]:
    """Every month from the first CEP or CEP service to the current month."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT LEAST((SELECT min(entry_date) FROM enrolments_cep),"
            " (SELECT min(proposed_on) FROM offers_service WHERE is_cep_level1 OR cep_id IS NOT NULL))"
        )
        first = cur.fetchone()[0]
    if first is None:
        return []
    return months_between(first, month_start(today()))


def _state() -> RefreshState:
    state, _ = RefreshState.objects.get_or_create(pk=1)
    return state


def _lock_is_free() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if cur.fetchone()[0]:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
            return True
    return False


def mark_queued() -> RefreshState:
    """Called when a background refresh is enqueued: the page shows it at once.

    A state left « running » by a process that died (its advisory lock is gone) is queued again."""
    state = _state()
    if not state.is_busy or (state.state == RefreshState.State.RUNNING and _lock_is_free()):
        RefreshState.objects.filter(pk=1).update(
            state=RefreshState.State.QUEUED, months_done=0, months_total=0, heartbeat_at=timezone.now()
        )
        state.refresh_from_db()
    return state


def refresh(
    *, months: Iterable[datetime.date] | None = None, full: bool = False, progress: Progress | None = None
) -> list[datetime.date]:
    """Refresh the aggregates and return the months recomputed.

    - ``full=True``: rebuild everything (all months, the ledger, the offers);
    - ``months``: recompute those months only (the watermark does not move);
    - neither: incremental, the months touched since the last refresh (a full rebuild the first time).
    """
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cur.fetchone()[0]:
            raise RefreshBusy("Une actualisation des indicateurs est déjà en cours.")
    try:
        state = _state()
        with connection.cursor() as cur:
            cur.execute(sql.WATERMARK)
            new_watermark = cur.fetchone()[0]
        moves_watermark = months is None
        if months is not None:
            todo = sorted({month_start(m) for m in months})
        elif full or state.watermark is None:
            full = True
            todo = all_months()
        else:
            todo = touched_months(state.watermark)
        RefreshState.objects.filter(pk=1).update(
            state=RefreshState.State.RUNNING,
            months_total=len(todo),
            months_done=0,
            current_month=None,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
            error="",
        )
        with Heartbeat(_beat):
            _run(todo, full=full, moves_watermark=moves_watermark, since=state.watermark, progress=progress)
        checkpoint("finished")
        fields = {
            "state": RefreshState.State.IDLE,
            "finished_at": timezone.now(),
            "last_duration_ms": int((time.monotonic() - started) * 1000),
            "last_months": [m.isoformat()[:7] for m in todo],
            "current_month": None,
        }
        if moves_watermark:
            fields["watermark"] = new_watermark
        RefreshState.objects.filter(pk=1).update(**fields)
        from django.db.models import F

        RefreshState.objects.filter(pk=1).update(version=F("version") + 1)
        return todo
    except Exception as exc:
        RefreshState.objects.filter(pk=1).update(state=RefreshState.State.FAILED, error=str(exc)[:2000])
        raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
