"""Benchmark of the indicators (issue 5, parts 5 and 6): refreshing one month's aggregates, and the dashboard
under load (gunicorn on 127.0.0.1, 10 concurrent users, bounded loops).

    # alone, on an existing base (never creates nor drops one):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_bench_1m uv run python bench/bench_indicators.py
    # through the registry (bench/run.py), on the base of size N:
    uv run python bench/run.py --only indicateurs

Targets: refresh of one month ≤ 2 s; dashboard p95 ≤ 50 ms at 10 concurrent users. The dashboard caches its
tables until the next refresh (the cache key holds the refresh version): the first display of each view after a
refresh is measured apart (« cache froid »), the load test runs after one warm-up pass.
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from registry import Result, benchmark, main_standalone, save_standalone, task  # noqa: E402

REFRESH_GOAL_S = 2.0
P95_GOAL_MS = 50.0
USERS = 10
REQUESTS_PER_USER = 40


def _percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * q / 100
    low, high = int(k), min(int(k) + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


# -- orchestrator side (no Django here) --------------------------------------------------------------------------


@benchmark(
    "indicateurs",
    title="Indicateurs : actualisation d'un mois, tableau de bord sous charge",
    goal="actualisation d'un mois ≤ 2 s ; p95 ≤ 50 ms à 10 utilisateurs simultanés",
)
def indicators_benchmark(ctx):
    ctx.database(ctx.size)
    ctx.log("indicateurs : actualisation et tableau de bord…")
    out = ctx.worker(ctx.size, "indicators_bench")
    return results_of(out, ctx.size)


def results_of(out: dict, size: int | None) -> list:
    month_note = f"mois {out['month']} : {out['month_rows']} lignes (entrées, services, sorties)"
    return [
        Result(
            "actualisation d'un mois (médiane de 3)",
            out["refresh_median_s"],
            "s",
            size=size,
            goal="≤ 2 s",
            ok=out["refresh_median_s"] <= REFRESH_GOAL_S,
            note=f"{month_note} ; max {out['refresh_max_s']:.2f} s",
        ),
        Result(
            "actualisation incrémentale sans changement",
            out["incremental_noop_s"],
            "s",
            size=size,
            note="recherche des mois touchés depuis le filigrane",
        ),
        Result(
            "tableau de bord, premier affichage après actualisation (p95)",
            out["cold_p95_ms"],
            "ms",
            size=size,
            note=f"{out['cold_count']} vues (3 profils × cadres × périodes), séquentiel",
        ),
        Result(
            f"tableau de bord p50 à {USERS} utilisateurs",
            out["p50_ms"],
            "ms",
            size=size,
            note=f"{out['requests']} requêtes, gunicorn {out['workers']} processus",
        ),
        Result(
            f"tableau de bord p95 à {USERS} utilisateurs",
            out["p95_ms"],
            "ms",
            size=size,
            goal="≤ 50 ms",
            ok=out["p95_ms"] <= P95_GOAL_MS,
            note=f"{out['errors']} erreur(s) ; même charge sur une page publique légère (contrat d'interface) : "
            f"p95 {out['floor_p95_ms']:.0f} ms ; une requête seule : {out['sequential_p50_ms']:.0f} ms",
        ),
    ]


# -- worker side (Django set up against the measured base) -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _busiest_month():
    from django.db import connection

    from cep.reporting.indicators_refresh import month_end

    with connection.cursor() as cur:
        cur.execute(
            "SELECT date_trunc('month', entry_date)::date, count(*) FROM enrolments_cep "
            "WHERE entry_date < date_trunc('month', now()) GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        month, _ = cur.fetchone()
        cur.execute(
            "SELECT (SELECT count(*) FROM enrolments_cep WHERE entry_date BETWEEN %(s)s AND %(e)s)"
            " + (SELECT count(*) FROM offers_service WHERE proposed_on BETWEEN %(s)s AND %(e)s)"
            " + (SELECT count(*) FROM enrolments_cep WHERE end_date BETWEEN %(s)s AND %(e)s)",
            {"s": month, "e": month_end(month)},
        )
        return month, cur.fetchone()[0]


def _sessions():
    """A structure manager, a regional observer and the national observer, signed in (session cookies)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from cep.accounts.models import User
    from cep.accounts.rights import Role

    with connection.cursor() as cur:
        cur.execute("SELECT structure_id FROM enrolments_cep GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        structure_id = cur.fetchone()[0]
    from cep.organisations.models import Structure

    structure = Structure.objects.get(pk=structure_id)
    specs = {
        "manager": {"role": Role.MANAGER, "structure": structure},
        "regional": {"role": Role.REGIONAL_OBSERVER, "structure": None, "region_id": structure.region_id},
        "national": {"role": Role.NATIONAL_OBSERVER, "structure": None},
    }
    cookies = {}
    for key, fields in specs.items():
        user, _ = User.objects.update_or_create(username=f"bench_indicateurs_{key}", defaults=fields)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "web.auth_backend.UserBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies[key] = store.session_key
    return cookies


def _get(port: int, path: str, session: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}", "Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, elapsed


def _load(port, cookies, views):
    """USERS threads, each REQUESTS_PER_USER requests back to back (no think time): latencies, errors."""
    latencies, errors = [], []
    lock = threading.Lock()
    roles = list(cookies)

    def user(n: int):
        role = roles[n % len(roles)]
        for i in range(REQUESTS_PER_USER):  # bounded loop
            view = views[(n + i) % len(views)]
            try:
                status, ms = _get(port, view, cookies[role])
            except OSError as exc:
                status, ms = str(exc), 0
            with lock:
                (latencies if status == 200 else errors).append(ms if status == 200 else status)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


@task("indicators_bench")
def indicators_bench(rounds: int = 3, workers: int = 4) -> dict:
    from django.conf import settings

    from cep.common.dates import add_months
    from cep.reporting.indicator_models import MonthlyStock
    from cep.reporting.indicators_refresh import refresh

    if not MonthlyStock.objects.exists():
        refresh(full=True)
    month, month_rows = _busiest_month()
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        refresh(months=[month])
        timings.append(time.perf_counter() - started)
    refresh()  # bring the watermark up to date
    started = time.perf_counter()
    refresh()
    noop = time.perf_counter() - started

    cookies = _sessions()
    end = add_months(month, 0)
    views = []
    for framework in ("2019", "2014"):
        for months in (12, 6):
            start = add_months(end, -(months - 1))
            views.append(f"/indicateurs/?referentiel={framework}&debut={start:%Y-%m}&fin={end:%Y-%m}")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # the sessions were signed with it
        "CEP_PSEUDONYM_SECRET": os.environ.get("CEP_PSEUDONYM_SECRET", "bench-only-pseudonym-secret"),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "600",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(100):  # wait until it answers
            try:
                _get(port, "/indicateurs/", cookies["national"])
                break
            except OSError:
                time.sleep(0.1)
        cold = []
        for role, session in cookies.items():
            for view in views:
                status, ms = _get(port, view, session)
                assert status == 200, (role, view, status)
                cold.append(ms)
        for _ in range(workers * 2):  # warm every worker's cache
            for session in cookies.values():
                for view in views:
                    _get(port, view, session)
        latencies, errors = _load(port, cookies, views)
        # The floor of the stack on this machine: the same load on a light public page (contract), no session.
        floor, _ = _load(port, {"public": "none"}, ["/contrat-interface/"])
        sequential = [_get(port, views[0], cookies["regional"])[1] for _ in range(30)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        from django.contrib.sessions.models import Session

        from cep.accounts.models import User

        Session.objects.filter(session_key__in=list(cookies.values())).delete()
        User.objects.filter(username__startswith="bench_indicateurs_").delete()  # leave the base as found
    return {
        "month": f"{month:%Y-%m}",
        "month_rows": month_rows,
        "refresh_median_s": statistics.median(timings),
        "refresh_max_s": max(timings),
        "incremental_noop_s": noop,
        "cold_count": len(cold),
        "cold_p95_ms": _percentile(cold, 95),
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95),
        "floor_p95_ms": _percentile(floor, 95),
        "sequential_p50_ms": _percentile(sequential, 50),
        "workers": workers,
    }


def save(out: dict, size: int | None) -> None:
    """Record the results in bench/results.json (section `indicateurs`) and render docs/benchmarks.md."""
    save_standalone(
        "indicateurs",
        "bench_indicators.py",
        results_of(out, size),
        [
            "Le tableau de bord met en cache ses tableaux et leur rendu jusqu'à la prochaine actualisation (la clé "
            "contient la version de l'actualisation) : « premier affichage » mesure le calcul, la charge mesure le "
            "service. Les 10 utilisateurs enchaînent leurs requêtes sans pause sur 2 cœurs partagés : la même charge "
            "sur une page publique légère donne le plancher de la pile sur cette machine."
        ],
    )


if __name__ == "__main__":
    main_standalone(indicators_bench, results_of, save, "cep_bench_1m")
