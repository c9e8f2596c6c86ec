"""Benchmark of the indicators (issue 5, parts 5 and 6): refreshing one month's aggregates, and the dashboard
under load (gunicorn on 127.0.0.1, 10 concurrent users, bounded loops).

    # alone, on an existing base (never creates nor drops one):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_bench_1m uv run python bench/bench_indicators.py
    # another gunicorn set-up (processes × threads; 1 thread: sync workers):
    BENCH_WORKERS=4 BENCH_THREADS=1 DATABASE_URL=… uv run python bench/bench_indicators.py
    # through the registry (bench/run.py), on the base of size N:
    uv run python bench/run.py --only indicateurs

Targets: refresh of one month ≤ 2 s; dashboard p95 ≤ 50 ms at 10 concurrent users. The dashboard caches its
tables until the next refresh (the cache key holds the refresh version): the first display of each view after a
refresh is measured apart (« cache froid »), the load test runs after a warm-up pass.

The client: 10 threads, each a user signed in through the login form (CSRF token, session cookie) on its own
keep-alive connection (bench_pages.Browser: stdlib http.client, cookies kept as a browser does), reading every
response to its end. The same users load the bare static view (/bench-static/) in alternated rounds: the floor of
the stack on the machine at that moment. CPU per request of the client, the gunicorn processes, the PostgreSQL
backends and the rest of the machine is read from /proc (bench/pages_load.py).
"""

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
REQUESTS_PER_USER = 60  # back to back: 600 measured requests, in ROUNDS rounds alternated with the bare view
ROUNDS = 3
PACED_REQUESTS = 20  # per user, with a pause of 0 to 2 × PAUSE_S before each click
PAUSE_S = 0.5
# gunicorn: processes × threads (threads > 1: gthread with keep-alive; 1: sync workers, a connection per request);
# BENCH_WORKERS / BENCH_THREADS to try others (docs/benchmarks.md lists those tried).
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
USER_PREFIX = "bench_indicateurs_"


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
    from pages_load import cpu_note

    month_note = f"mois {out['month']} : {out['month_rows']} lignes (entrées, services, sorties)"
    load, floor, paced, paced_floor = out["load"], out["floor"], out["paced"], out["paced_floor"]
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
            note=f"{out['cold_count']} vues (3 profils × 2 cadres × 2 périodes), séquentiel",
        ),
        Result(
            f"tableau de bord p50 à {USERS} utilisateurs",
            load["p50_ms"],
            "ms",
            size=size,
            baseline=floor["p50_ms"],
            baseline_size=size,
            note=f"{load['requests']} requêtes, gunicorn {out['server']}",
        ),
        Result(
            f"tableau de bord p95 à {USERS} utilisateurs",
            load["p95_ms"],
            "ms",
            size=size,
            baseline=floor["p95_ms"],
            baseline_size=size,
            goal="≤ 50 ms",
            ok=load["p95_ms"] <= P95_GOAL_MS,
            note=f"{load['errors']} erreur(s) ; une requête seule : {out['sequential_p50_ms']:.0f} ms ; "
            + cpu_note(out["cpu"]),
        ),
        Result(
            f"tableau de bord p99 à {USERS} utilisateurs",
            load["p99_ms"],
            "ms",
            size=size,
            baseline=floor["p99_ms"],
            baseline_size=size,
        ),
        Result(
            f"vue statique nue (/bench-static/) p95 à {USERS} utilisateurs, même charge (référence)",
            floor["p95_ms"],
            "ms",
            size=size,
            note=f"p50 {floor['p50_ms']:.0f} ms ; {floor['requests']} requêtes, {floor['errors']} erreur(s) ; "
            + cpu_note(out["floor_cpu"]),
        ),
        Result(
            f"tableau de bord p95 à {USERS} utilisateurs, avec pauses de 0 à {2 * PAUSE_S:.0f} s entre les clics",
            paced["p95_ms"],
            "ms",
            size=size,
            baseline=paced_floor["p95_ms"],
            baseline_size=size,
            goal="≤ 50 ms",
            ok=paced["p95_ms"] <= P95_GOAL_MS,
            note=f"p50 {paced['p50_ms']:.0f} ms ; {paced['requests']} requêtes, {paced['errors']} erreur(s) ; "
            f"vue statique nue, même scénario : p95 {paced_floor['p95_ms']:.0f} ms",
        ),
    ]


# -- worker side (Django set up against the measured base) -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _busiest_month():
    from django.db import connection

    from cep.common.months import month_end

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


def _users() -> dict:
    """A structure manager, a regional observer and the national observer, with a fresh password (bench only)."""
    import secrets

    from django.db import connection

    from cep.accounts.models import User
    from cep.accounts.rights import Role
    from cep.organisations.models import Structure

    with connection.cursor() as cur:
        cur.execute("SELECT structure_id FROM enrolments_cep GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        structure = Structure.objects.get(pk=cur.fetchone()[0])
    specs = {
        "manager": {"role": Role.MANAGER, "structure": structure, "region": None},
        "regional": {"role": Role.REGIONAL_OBSERVER, "structure": None, "region_id": structure.region_id},
        "national": {"role": Role.NATIONAL_OBSERVER, "structure": None, "region": None},
    }
    password = secrets.token_urlsafe(18)
    for key, fields in specs.items():
        user, _ = User.objects.update_or_create(username=f"{USER_PREFIX}{key}", defaults={**fields, "is_active": True})
        user.set_password(password)
        user.save()
    return {"password": password, "structure": str(structure)}


def _views(end) -> dict:
    """The views each audience opens: both frameworks; a manager chooses months, observers read calendar years."""
    from cep.common.dates import add_months
    from cep.reporting.indicators.dashboard_data import observer_years

    manager = [
        f"/indicateurs/?referentiel={framework}&debut={add_months(end, -(months - 1)):%Y-%m}&fin={end:%Y-%m}"
        for framework in ("2019", "2014")
        for months in (12, 6)
    ]
    years = observer_years()[:2]
    observer = [f"/indicateurs/?referentiel={fw}&annee={year}" for fw in ("2019", "2014") for year in years]
    return {"manager": manager, "regional": observer, "national": observer}


def _load(browsers: list, requests: int, pause: float = 0.0) -> tuple[list, list]:
    """Every user at once, `requests` each, back to back (or after a pause of 0 to 2 × `pause` s): latencies."""
    import random

    latencies, errors = [], []
    lock = threading.Lock()

    def user(n: int):
        browser, views = browsers[n]
        rng = random.Random(n)
        for i in range(requests):  # bounded loop
            if pause:
                time.sleep(rng.uniform(0, 2 * pause))
            try:
                status, body, ms = browser.request("GET", views[(n + i) % len(views)])
            except OSError as exc:
                status, body, ms = repr(exc), b"", 0.0
            with lock:
                if status == 200 and body.rstrip().endswith(b"</html>"):  # the whole page was read
                    latencies.append(ms)
                else:
                    errors.append(status)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def _stats(latencies: list, errors: list) -> dict:
    return {
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        **{f"p{q}_ms": _percentile(latencies, q) for q in (50, 95, 99)},
    }


@task("indicators_bench")
def indicators_bench(rounds: int = 3, workers: int = WORKERS, threads: int = THREADS) -> dict:
    import secrets

    from bench_pages import Browser  # the portal benchmark's client: keep-alive connection and cookies
    from pages_load import CpuMeter

    from cep.reporting.indicators.models import MonthlyStock
    from cep.reporting.indicators.refresh import refresh

    load_start = [round(x, 2) for x in os.getloadavg()]
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

    setup = _users()
    views = _views(month)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.pages_settings",  # production settings plus the bare /bench-static/ view
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "CEP_PSEUDONYM_SECRET": os.environ.get("CEP_PSEUDONYM_SECRET", secrets.token_urlsafe(48)),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "600",
    }
    server_args = ["-w", str(workers)]
    if threads > 1:
        server_args += ["-k", "gthread", "--threads", str(threads), "--keep-alive", "30"]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", *server_args,
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=_server_log(),
    )  # fmt: skip
    roles = list(views)
    browsers = []
    try:
        probe = Browser(port)
        for _ in range(200):  # wait until it answers
            try:
                probe.request("GET", "/connexion/")
                break
            except OSError:
                time.sleep(0.1)
        # USERS users sign in through the login form (CSRF token, session cookie): 4 managers, 3 + 3 observers.
        for n in range(USERS):
            role = roles[n % len(roles)]
            browser = Browser(port)
            browser.sign_in(f"{USER_PREFIX}{role}", setup["password"])
            browsers.append((browser, views[role]))
        cold = []  # first display of each view after the refresh, one audience at a time
        for browser, paths in browsers[: len(roles)]:
            for path in paths:
                status, _, ms = browser.request("GET", path)
                assert status == 200, (path, status)
                cold.append(ms)
        _load(browsers, 3 * workers * len(views["manager"]))  # warm every process's cache (each has its own)
        static = [(browser, ["/bench-static/"]) for browser, _ in browsers]
        meter, static_meter = CpuMeter(server.pid), CpuMeter(server.pid)
        latencies, errors, floor = [], [], ([], [])
        for _ in range(ROUNDS):  # dashboard and bare view alternated: the machine's drift hits both
            with meter:
                measured = _load(browsers, REQUESTS_PER_USER // ROUNDS)
            latencies += measured[0]
            errors += measured[1]
            with static_meter:  # the floor of the stack: same users, same load, bare view
                measured = _load(static, REQUESTS_PER_USER // ROUNDS)
            floor[0].extend(measured[0])
            floor[1].extend(measured[1])
        cpu = meter.per_request(len(latencies) + len(errors))
        static_cpu = static_meter.per_request(len(floor[0]) + len(floor[1]))
        paced = _load(browsers, PACED_REQUESTS, pause=PAUSE_S)
        paced_floor = _load(static, PACED_REQUESTS, pause=PAUSE_S)
        alone = browsers[1][0]  # one user alone: the service time of a page
        sequential = [alone.request("GET", views["regional"][i % len(views["regional"])])[2] for i in range(30)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        from axes.models import AccessAttempt, AccessLog
        from django.contrib.sessions.models import Session

        from cep.accounts.models import User

        # Leave the base as found: the bench users, their sessions and their sign-in records.
        keys = [b.cookies.get("sessionid") for b, _ in browsers]
        Session.objects.filter(session_key__in=[k for k in keys if k]).delete()
        AccessLog.objects.filter(username__startswith=USER_PREFIX).delete()
        AccessAttempt.objects.filter(username__startswith=USER_PREFIX).delete()
        User.objects.filter(username__startswith=USER_PREFIX).delete()
    return {
        "month": f"{month:%Y-%m}",
        "month_rows": month_rows,
        "refresh_median_s": statistics.median(timings),
        "refresh_max_s": max(timings),
        "incremental_noop_s": noop,
        "cold_count": len(cold),
        "cold_p95_ms": _percentile(cold, 95),
        "load": _stats(latencies, errors),
        "cpu": cpu,
        "floor": _stats(*floor),
        "floor_cpu": static_cpu,
        "paced": _stats(*paced),
        "paced_floor": _stats(*paced_floor),
        "sequential_p50_ms": _percentile(sequential, 50),
        "server": f"{workers} processus" + (f" × {threads} fils (gthread, keep-alive)" if threads > 1 else " (sync)"),
        "structure": setup["structure"],
        "load_start": load_start,
    }


NOTES = [
    "Méthode : gunicorn (réglages de production, `bench/pages_settings.py`, qui ajoute la vue statique nue "
    "`/bench-static/`) sur 127.0.0.1. 10 utilisateurs (4 responsables de structure, 3 observateurs régionaux, "
    "3 observateurs nationaux) se connectent par le formulaire (jeton CSRF, cookie de session) ; chacun a son fil et "
    "sa connexion (`http.client` de la bibliothèque standard, keep-alive quand le serveur le permet, cookies gardés "
    "comme un navigateur) et lit chaque réponse en entier (jusqu'à `</html>`). Ils enchaînent leurs requêtes **sans "
    "pause** : 10 requêtes toujours en cours sur 2 cœurs, un essai à saturation. Chacun parcourt les vues de son "
    "profil (2 cadres × 2 périodes ; années civiles pour les observateurs). La « Référence » est la même charge, "
    "mêmes utilisateurs et mêmes sessions, sur la vue statique nue (mêmes middlewares, session lue), en 3 tours "
    "alternés avec le tableau de bord : ce que coûte la pile seule sur cette machine au même moment. Le tableau de "
    "bord met en cache ses tableaux et leur rendu jusqu'à la prochaine actualisation (la clé contient la version) : "
    "« premier affichage » mesure le calcul, la charge mesure le service. Le CPU par requête est lu dans /proc "
    "avant et après la charge (`bench/pages_load.py`) : processus du client, processus gunicorn, processus "
    "PostgreSQL de la base, et le reste de la machine (les autres sessions qui la partagent : tests, navigateurs, "
    "autres mesures). Second scénario, « avec pauses » : les mêmes 10 utilisateurs, une pause tirée entre 0 et 1 s "
    "avant chaque clic.",
    "Lecture : à 10 requêtes toujours en cours sur 2 cœurs, la latence suit le CPU consommé par requête sur toute "
    "la machine (loi de Little : latence moyenne ≈ 10 × CPU par requête / 2 cœurs). Le tableau de bord coûte "
    "environ 7 ms de CPU par requête (gunicorn ~6 ms, PostgreSQL ~0,8, client ~0,5) : p50 ≈ 35 ms et p95 autour de "
    "45 à 60 ms quand la machine est à nous seuls ; quand les autres sessions prennent la moitié des cœurs (colonne "
    "« autres processus »), les temps doublent, pour le tableau de bord comme pour la vue statique nue. Le client "
    "de mesure lui-même prend 0,3 à 0,6 ms de CPU par requête (5 à 8 % du total) : ce n'est pas lui qui fait le p95. "
    "Le rapport à la vue statique nue mesurée dans les mêmes tours est le chiffre le plus stable.",
    "Ce qui a été changé (23/11/2026), pour toutes les pages : (1) la session, dont l'expiration glissante de "
    "30 minutes était réécrite à chaque requête (`SESSION_SAVE_EVERY_REQUEST` : un UPDATE et un COMMIT par page), "
    "ne l'est plus que si elle change ou si sa dernière écriture a une minute (`web/middleware.py`) : une session se "
    "termine entre 29 et 30 minutes après la dernière requête, jamais plus tard. (2) L'utilisateur de chaque "
    "requête est lu avec sa structure et sa région en une requête (`web/auth_backend.py`, `select_related`) au lieu "
    "de deux. (Le SELECT de session écrit à la main et le chargeur de lignes `plain_sql` du 23/11 ont été retirés "
    "le 01/12/2026 : voir docs/decisions.md.) (3) Le gabarit de page ne dérive plus de "
    "`dsfr/base.html` : feuilles de style, icônes, pied de page, fenêtre des paramètres d'affichage et scripts (avec "
    "le nonce CSP de la réponse) sont rendus une fois par processus, les adresses du menu calculées une fois "
    "(`web/templatetags/cep_page.py`) ; même HTML ; rendu de `base.html` 0,9 → 0,2 ms. Pour le tableau de bord : "
    "le formulaire de filtres est mis en cache en HTML (ses listes de régions et de réseaux coûtaient 2 requêtes et "
    "1 à 3 ms par vue à l'observateur national) ; à chaud, 3 requêtes SQL pour tous les profils (session, "
    "utilisateur, état de l'actualisation), épinglé par `tests/reporting/indicators/test_dashboard.py`. Mesuré dans "
    "le processus (appel WSGI direct, réglages de production, meilleur de 7 séries) : vue statique nue 1,5 → 0,4 ms "
    "de CPU (2 600 → 1 100 appels de fonctions Python) ; tableau de bord 7,2 → 3,5 ms pour un responsable de "
    "structure, 10,1 → 3,5 ms pour l'observateur national (30 000 → 7 900 appels). Inchangés : CSRF, nonce CSP, "
    "verrouillage django-axes, droits et isolement des observateurs (tests de `tests/web` et `tests/reporting`).",
    "Réglages de gunicorn essayés (même code, mêmes 10 utilisateurs, base de 1 000 000, 23/11/2026 vers 22 h 55 "
    "UTC ; « autres » = CPU pris par les autres sessions de la machine par requête mesurée) : 2 processus × 4 fils "
    "(gthread, keep-alive) p95 109 ms, autres 6,0 ms ; 2 processus sync p95 120 ms, autres 9,9 ms ; 3 processus "
    "sync p95 102 ms, autres 8,0 ms ; 4 processus sync p95 45 ms, autres 0,1 ms (machine libre) ; avec un client "
    "plus simple, plus tôt : 4 × 2 gthread p95 45 ms mais p99 384 ms (10 connexions gardées pour 8 fils : une "
    "connexion attend qu'un fil se libère), 3 × 4 gthread p95 54 ms. Le CPU de gunicorn par requête reste de 5,5 à "
    "6,5 ms dans tous les cas : le réglage compte moins que la charge du reste de la machine. En keep-alive, chaque "
    "connexion reste attachée à un processus, ce qui déséquilibre la file ; les processus sync (une connexion par "
    "requête, ordre d'arrivée) donnent la queue de distribution la plus régulière. Le chiffre principal est mesuré "
    "avec 4 processus sync, comme la mesure précédente.",
]


def save(out: dict, size: int | None) -> None:
    """Record the results in bench/results.json (section `indicateurs`) and render docs/benchmarks.md."""
    save_standalone(
        "indicateurs",
        "bench_indicators.py",
        results_of(out, size),
        NOTES,
        load_start=out.get("load_start"),
    )


if __name__ == "__main__":
    main_standalone(indicators_bench, results_of, save, "cep_bench_1m")


def _server_log():
    """gunicorn's errors go to var/bench-gunicorn.log: a pipe nobody reads fills up and freezes the server."""
    path = ROOT / "var" / "bench-gunicorn.log"
    path.parent.mkdir(exist_ok=True)
    return path.open("ab")
