"""Benchmark of the counselor portal (issue 4): search, dossier and CEP pages under load, on the big base.

    # alone, on an existing base (never creates nor drops one):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_bench_1000000 uv run python bench/bench_pages.py --save
    # through the registry (bench/run.py), on the base of size N (--keep: the bases stay):
    uv run python bench/run.py --only pages --keep

gunicorn (production settings, bench/pages_settings.py) on 127.0.0.1; 10 users sign in through the login form
(CSRF token, session cookie) and keep their connection alive; each page is loaded by the 10 users at once, a
bounded number of requests each, after a warm-up, in two rounds (drift of the shared machine hits every page).
The same load on a bare static Django view (/bench-static/, same middlewares and session, no template, no query
of its own), measured in the same rounds, is the reference: the ratio says what the page adds to the stack.
Goal: p95 ≤ 150 ms for each page.
"""

import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_indicators import _free_port, _percentile  # noqa: E402
from pages_load import CpuMeter, cpu_note  # noqa: E402
from registry import Result, benchmark, main_standalone, save_standalone, task  # noqa: E402

P95_GOAL_MS = 150.0
USERS = 10
ROUNDS = 2
REQUESTS_PER_ROUND = 25  # per user and per page: USERS × ROUNDS × 25 = 500 measured requests per page
PAUSE_S = 0.5  # mean pause between two clicks of a user in the second scenario (uniform, 0 to 1 s)
SAMPLE = 50  # distinct dossiers (and searches) the users walk through
USERNAME = "bench_pages_conseiller"

PAGES = {  # key -> label shown in docs/benchmarks.md
    "static": "vue statique nue (/bench-static/, référence)",
    "search_surname": "recherche d'un nom de famille courant (/beneficiaires/?q=)",
    "search_prefix": "recherche d'un début de nom, 3 lettres (/beneficiaires/?q=)",
    "search_first_last": "recherche « prénom nom » (/beneficiaires/?q=)",
    "dossier": "dossier, Synthèse (/beneficiaires/<id>/)",
    "dispositifs": "Suivi › Dispositifs, la page du CEP (/beneficiaires/<id>/dispositifs/)",
    "history": "historique d'un CEP (/dispositifs/<id>/historique/)",
}


# -- orchestrator side (no Django here) --------------------------------------------------------------------------


@benchmark(
    "pages",
    title="Portail conseiller : recherche, dossier et pages du CEP sous charge (gunicorn, 10 utilisateurs)",
    goal="p95 ≤ 150 ms par page à 10 utilisateurs simultanés ; référence : la même charge sur une vue Django "
    "statique nue, dans la même exécution",
)
def pages_benchmark(ctx):
    ctx.database(ctx.size)
    ctx.log("pages du portail sous charge…")
    out = ctx.worker(ctx.size, "pages_bench")
    return results_of(out, ctx.size)


def results_of(out: dict, size: int | None) -> list:
    static = out["pages"]["static"]
    results = []
    for key, label in PAGES.items():
        page = out["pages"][key]
        profile = out["profile"].get(key, {})
        sql = (
            f" ; dans le processus, sur {profile['urls']} adresses : {profile['queries']} requêtes SQL au plus, "
            f"médianes {profile['sql_ms']:.0f} ms de SQL sur {profile['total_ms']:.0f} ms (requête la plus lente "
            f"{profile['slowest_ms']:.0f} ms), "
            f"page seule par HTTP {page['sequential_p50_ms']:.0f} ms"
            if profile
            else f" ; page seule {page['sequential_p50_ms']:.0f} ms"
        )
        for q in (50, 95, 99):
            value = page[f"p{q}_ms"]
            is_goal = q == 95 and key != "static"
            results.append(
                Result(
                    f"p{q} {label}",
                    value,
                    "ms",
                    size=size,
                    baseline=None if key == "static" else static[f"p{q}_ms"],
                    baseline_size=None if key == "static" else size,
                    goal="≤ 150 ms" if is_goal else "",
                    ok=value <= P95_GOAL_MS if is_goal else None,
                    note=(
                        f"{page['requests']} requêtes, {page['errors']} erreur(s), {page['connections']} connexions"
                        + sql
                        + (f" ; {out['what'][key]}" if out["what"].get(key) else "")
                        + (f" ; {cpu_note(page['cpu'])}" if page.get("cpu") else "")
                        + (f" ; gunicorn {out['server']}" if key == "static" else "")
                    )
                    if q == 95
                    else "",
                )
            )
    paced_static = out["paced"]["static"]
    for key, label in PAGES.items():
        page = out["paced"][key]
        is_goal = key != "static"
        results.append(
            Result(
                f"p95 {label}, avec pauses de 0 à {2 * PAUSE_S:.0f} s entre les clics",
                page["p95_ms"],
                "ms",
                size=size,
                baseline=None if key == "static" else paced_static["p95_ms"],
                baseline_size=None if key == "static" else size,
                goal="≤ 150 ms" if is_goal else "",
                ok=page["p95_ms"] <= P95_GOAL_MS if is_goal else None,
                note=f"p50 {page['p50_ms']:.0f} ms, p99 {page['p99_ms']:.0f} ms ; {page['requests']} requêtes, "
                f"{page['errors']} erreur(s)",
            )
        )
    return results


ANALYSIS = (
    "Recherche (issue 14) : `search_beneficiaries` ne lit plus l'index trigramme national (retiré) ; chaque mot tapé "
    "est un intervalle de la clé primaire de `beneficiaries_nameword` `(structure_id, mot, beneficiary_id)` "
    "(`mot >= 'abc' AND mot < 'abd'`, collation « C »), donc un parcours d'index limité à la structure et aux mots "
    "qui commencent ainsi ; PostgreSQL croise les mots (semi-jointures) puis lit les dossiers dans l'ordre du nom. "
    "Le total est compté jusqu'à 1 001 au plus (« plus de 1 000 ») ; une première page incomplète donne son total "
    "sans requête de comptage. Avant ce changement (23/11/2026, même banc) : index trigramme lu pour tout le pays "
    "puis filtré par structure, ou parcours de `benef_struct_name_idx` ligne à ligne, 17 à 198 ms de SQL selon le "
    "texte. **Autres pages** : 2 à 5 ms de SQL (8 à 11 requêtes) ; le reste est du temps Python (rendu des "
    "gabarits, construction des requêtes par l'ORM). À 10 requêtes toujours en cours sur 2 cœurs partagés avec "
    "d'autres sessions (charge moyenne relevée ci-dessus), chaque requête attend derrière les autres, et le p95 "
    "suit le temps CPU de la page multiplié par la file."
)


def notes_of(out: dict) -> list[str]:
    """Method, and the plan of every query of 20 ms or more met while profiling the pages."""
    notes = [
        "Méthode : gunicorn (réglages de production, `bench/pages_settings.py`) sur 127.0.0.1 ; 10 utilisateurs "
        "se connectent par le formulaire (jeton CSRF, cookie de session), gardent leur connexion ouverte "
        "(keep-alive) et enchaînent leurs requêtes **sans pause** : 10 requêtes sont toujours en cours, c'est un "
        "essai à saturation sur 2 cœurs partagés. Chaque page est chargée seule par les 10 utilisateurs, en deux "
        "tours (toutes les pages par tour), après un tour de chauffe. La « Référence » est la même mesure, dans les "
        "mêmes tours, sur une vue Django statique nue (mêmes middlewares, même session lue, ni gabarit ni requête "
        "propre) : le « Rapport » dit ce que la page ajoute à la pile. « Page seule » : médiane de 20 "
        "requêtes d'un seul utilisateur ; les requêtes SQL sont relevées dans le processus (client de test Django). "
        "Second scénario, « avec pauses » : les mêmes 10 utilisateurs, un tour de plus, une pause tirée entre 0 et "
        "1 s avant chaque clic (un conseiller réel clique bien moins souvent) ; même référence, même scénario.",
        ANALYSIS,
    ]
    for key, profile in out["profile"].items():
        if not profile.get("slowest_plan"):
            continue
        keep = [
            line.strip()
            for line in profile["slowest_plan"]
            if any(word in line for word in ("Scan", "Rows Removed", "Heap Blocks", "Execution Time"))
        ]
        notes.append(
            f"Requête la plus lente de « {PAGES[key]} » ({profile['slowest_path']}, {profile['slowest_ms']:.0f} ms) : "
            + " ; ".join(f"`{line}`" for line in keep)
        )
    return notes


# -- worker side (Django set up against the measured base) -------------------------------------------------------


class Browser:
    """One user: a keep-alive connection to the server and its cookies (stdlib http.client only)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = None
        self.connections = 0

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes, float]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # the server may have closed an idle keep-alive connection: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.connections += 1
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            elapsed = (time.perf_counter() - started) * 1000
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                if value in ("", '""'):
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            if response.will_close:
                self.conn.close()
                self.conn = None
            return response.status, data, elapsed
        raise AssertionError("unreachable")

    def sign_in(self, username: str, password: str) -> None:
        status, html, _ = self.request("GET", "/connexion/")
        assert status == 200, status
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        status, html, _ = self.request("POST", "/connexion/", form)
        assert status == 302 and "sessionid" in self.cookies, (status, html[-500:])


def _setup() -> dict:
    """The busiest structure, a counselor of it with a known password, and what the users will open."""
    from django.db import connection

    from cep.accounts.models import User
    from cep.accounts.rights import Role
    from cep.organisations.models import Structure

    with connection.cursor() as cur:
        cur.execute("SELECT structure_id, count(*) FROM beneficiaries_beneficiary GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
        structure_id, people = cur.fetchone()
        cur.execute(
            "SELECT last_name, count(*) FROM beneficiaries_beneficiary WHERE structure_id = %s "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
            [structure_id],
        )
        surnames = cur.fetchall()
        cur.execute(
            "SELECT first_name, last_name FROM beneficiaries_beneficiary WHERE structure_id = %s "
            "ORDER BY md5(id::text) LIMIT %s",
            [structure_id, SAMPLE],
        )
        sampled = cur.fetchall()
        # Dossiers with a CEP in progress, spread over the structure (md5 order: deterministic, not clustered).
        cur.execute(
            "SELECT beneficiary_id, id FROM enrolments_cep WHERE structure_id = %s AND status IN ('phase2', 'phase3') "
            "ORDER BY md5(id::text) LIMIT %s",
            [structure_id, SAMPLE],
        )
        ceps = cur.fetchall()
        cur.execute(
            "SELECT count(*) FROM audit_auditentry WHERE object_type = 'cep' AND object_id = ANY(%s)",
            [[c for _, c in ceps]],
        )
        history_entries = cur.fetchone()[0]
    structure = Structure.objects.get(pk=structure_id)
    password = secrets.token_urlsafe(18)  # bench data: a fresh password every run
    user, _ = User.objects.update_or_create(
        username=USERNAME,
        defaults={"role": Role.COUNSELOR, "structure": structure, "is_active": True, "last_name": "Banc d'essai"},
    )
    user.set_password(password)
    user.save()
    from cep.common.text import normalize_name

    names = [normalize_name(name) for name, _ in surnames]
    prefixes = sorted({name[:3] for name in names})
    urls = {
        "static": ["/bench-static/"],
        "search_surname": [f"/beneficiaires/?q={urllib.parse.quote(name)}" for name in names],
        "search_prefix": [f"/beneficiaires/?q={urllib.parse.quote(prefix)}" for prefix in prefixes],
        "search_first_last": [f"/beneficiaires/?q={urllib.parse.quote(f'{f} {n}')}" for f, n in sampled],
        "dossier": [f"/beneficiaires/{b}/" for b, _ in ceps],
        "dispositifs": [f"/beneficiaires/{b}/dispositifs/" for b, _ in ceps],
        "history": [f"/dispositifs/{c}/historique/" for _, c in ceps],
    }
    per_cep = f"{history_entries / max(len(ceps), 1):.1f}".replace(".", ",")
    what = {
        "static": f"structure « {structure} » ({people:,} bénéficiaires)".replace(",", "\u202f"),
        "search_surname": f"{len(names)} noms : {', '.join(f'{n} ({c})' for n, c in surnames[:3])}…",
        "search_prefix": f"{len(prefixes)} débuts : {', '.join(prefixes[:5])}",
        "search_first_last": f"{len(sampled)} personnes tirées de la structure, prénom d'abord",
        "dossier": f"{len(ceps)} dossiers avec un CEP en cours",
        "dispositifs": f"{len(ceps)} dossiers avec un CEP en cours",
        "history": f"{len(ceps)} CEP, {per_cep} entrées d'historique en moyenne",
    }
    return {"user": user, "password": password, "urls": urls, "what": what}


def _profile(user, urls: dict, per_page: int = 10) -> dict:
    """In-process, one request per URL (up to `per_page` URLs a page): the SQL each page runs — to explain a miss.

    Median page time and SQL time over the URLs, the largest query count, and the slowest query met with its
    EXPLAIN ANALYZE when it takes 20 ms or more.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="web.auth_backend.UserBackend")
    out = {}
    for key, paths in urls.items():
        if key == "static":
            continue
        client.get(paths[-1])  # warm (referentials, templates)
        totals, sqls, counts, slowest = [], [], [], (0.0, "", "")
        for path in paths[:per_page]:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                totals.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (key, path, response.status_code)
            timed = [(float(q["time"]) * 1000, q["sql"], path) for q in captured.captured_queries]
            sqls.append(sum(t for t, _, _ in timed))
            counts.append(len(timed))
            slowest = max([slowest, *timed])
        plan = []
        if slowest[0] >= 20 and slowest[1].lstrip().upper().startswith("SELECT"):  # explain what is slow
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[1])
                plan = [row[0] for row in cur.fetchall()]
        out[key] = {
            "urls": len(totals),
            "queries": max(counts),
            "total_ms": _percentile(totals, 50),
            "sql_ms": _percentile(sqls, 50),
            "slowest_ms": slowest[0],
            "slowest_path": slowest[2],
            "slowest_sql": slowest[1],
            "slowest_plan": plan,
        }
    return out


def _load(browsers: list, paths: list, requests: int, pause: float = 0.0) -> tuple[list, list]:
    """Every user at once, `requests` each: latencies of 200s, other outcomes.

    pause = 0: back to back, no think time (saturation); otherwise a random pause of 0 to 2 × `pause` seconds
    before each request (seeded per user).
    """
    latencies, errors = [], []
    lock = threading.Lock()

    def user(n: int):
        rng = random.Random(n)
        for i in range(requests):  # bounded loop
            if pause:
                time.sleep(rng.uniform(0, 2 * pause))
            path = paths[(n * 7 + i) % len(paths)]
            try:
                status, _, ms = browsers[n].request("GET", path)
            except OSError as exc:
                status, ms = repr(exc), 0.0
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    errors.append(status)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


@task("pages_bench")
def pages_bench(workers: int = 4, threads: int = 2, requests: int = REQUESTS_PER_ROUND, rounds: int = ROUNDS) -> dict:
    load_start = [round(x, 2) for x in os.getloadavg()]
    setup = _setup()
    urls = setup["urls"]
    profile = _profile(setup["user"], urls)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.pages_settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "CEP_PSEUDONYM_SECRET": secrets.token_urlsafe(48),  # production refuses a short or published key
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback
        "DB_CONN_MAX_AGE": "600",
    }
    server_args = ["-w", str(workers), "-k", "gthread", "--threads", str(threads), "--keep-alive", "30"]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", *server_args,
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=_server_log(),
    )  # fmt: skip
    samples = {key: [] for key in urls}
    errors = {key: [] for key in urls}
    try:
        probe = Browser(port)
        for _ in range(200):  # wait until it answers
            try:
                probe.request("GET", "/connexion/")
                break
            except OSError:
                time.sleep(0.1)
        browsers = [Browser(port) for _ in range(USERS)]
        for browser in browsers:
            browser.sign_in(USERNAME, setup["password"])
        for paths in urls.values():  # warm-up: every worker process and thread, every page
            _load(browsers, paths, max(3, len(paths) // USERS + 1))
        sequential = {}
        for key, paths in urls.items():  # one user alone: the service time of each page
            sequential[key] = [browsers[0].request("GET", paths[i % len(paths)])[2] for i in range(20)]
        meters = {key: CpuMeter(server.pid) for key in urls}  # CPU of client, server, PostgreSQL, rest
        for _ in range(rounds):
            for key, paths in urls.items():
                with meters[key]:
                    latencies, failed = _load(browsers, paths, requests)
                samples[key] += latencies
                errors[key] += failed
        paced = {}
        for key, paths in urls.items():  # the same users with a pause between clicks: one round
            latencies, failed = _load(browsers, paths, requests, pause=PAUSE_S)
            paced[key] = {
                "requests": len(latencies) + len(failed),
                "errors": len(failed),
                **{f"p{q}_ms": _percentile(latencies, q) for q in (50, 95, 99)},
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
    pages = {}
    for key in urls:
        pages[key] = {
            "requests": len(samples[key]) + len(errors[key]),
            "errors": len(errors[key]),
            "error_sample": [str(e) for e in errors[key][:5]],
            "p50_ms": _percentile(samples[key], 50),
            "p95_ms": _percentile(samples[key], 95),
            "p99_ms": _percentile(samples[key], 99),
            "sequential_p50_ms": _percentile(sequential[key], 50),
            "connections": sum(b.connections for b in browsers),  # all users, all pages: keep-alive at work
            "cpu": meters[key].per_request(len(samples[key]) + len(errors[key])),
        }
    return {
        "pages": pages,
        "paced": paced,
        "profile": profile,
        "what": setup["what"],
        "load_start": load_start,
        "server": f"{workers} processus × {threads} fils (gthread), keep-alive",
    }


def save(out: dict, size: int | None) -> None:
    """Record the results in bench/results.json (section `pages`) and render docs/benchmarks.md."""
    save_standalone(
        "pages",
        "bench_pages.py",
        results_of(out, size),
        notes_of(out),
        load_start=out.get("load_start"),
    )


if __name__ == "__main__":
    main_standalone(pages_bench, results_of, save, "cep_bench_1000000")


def _server_log():
    """gunicorn's errors go to var/bench-gunicorn.log: a pipe nobody reads fills up and freezes the server."""
    path = ROOT / "var" / "bench-gunicorn.log"
    path.parent.mkdir(exist_ok=True)
    return path.open("ab")
