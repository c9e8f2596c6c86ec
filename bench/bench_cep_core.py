"""Issue 3's benchmark: the generator, the CEP API calls and the automatic exit, at N and at the baseline size."""

import datetime
import random
import statistics
import time

from registry import Result, benchmark, task

GENERATOR_GOAL_S = 600
AUTO_CLOSE_GOAL_S = 30
RATIO_GOAL = 1.5


# -- orchestrator side (no Django here) --------------------------------------------------------------------------


@benchmark("generateur", title="Générateur de données (generate_demo, PostgreSQL)", goal="< 10 min à 1 000 000")
def generator(ctx):
    base = ctx.database(ctx.baseline_size)
    big = ctx.database(ctx.size)
    results = []
    if big["generation_s"] is not None:
        ok = big["generation_s"] < GENERATOR_GOAL_S if ctx.size >= 1_000_000 else None
        results.append(
            Result(
                "durée de génération",
                big["generation_s"],
                "s",
                size=ctx.size,
                baseline=base["generation_s"],
                baseline_size=ctx.baseline_size,
                goal="< 600 s à 1 000 000" if ctx.size >= 1_000_000 else "",
                ok=ok,
                note=" ".join(big["output"]),
            )
        )
    checked = ctx.worker(ctx.size, "rule_checks")
    results.append(
        Result(
            "lignes qui enfreignent une règle (R1–R12, âges, contextes…)",
            checked["violations"],
            "lignes",
            size=ctx.size,
            goal="0",
            ok=checked["violations"] == 0,
            note=f"{checked['queries']} requêtes de contrôle en {checked['seconds']:.0f} s ; "
            + ", ".join(f"{k} {v}" for k, v in checked["coverage"].items() if k in _SHOWN),
        )
    )
    return results


_SHOWN = ("events", "phase2", "phase3", "closed", "auto_closed", "deleted", "about_to_close")


@benchmark(
    "api_cep",
    title="API : ouvrir, clôturer un CEP, rechercher un bénéficiaire par nom",
    goal="p50 et p95 à N ≤ 1,5 × la base de référence",
)
def api_cep(ctx):
    ctx.database(ctx.baseline_size)
    ctx.database(ctx.size)
    rounds = 2  # base, big, base, big: the machine's load drifts, both bases see the same drift
    per_round = max(10, ctx.requests // rounds)
    samples = {ctx.baseline_size: {}, ctx.size: {}}
    for r in range(rounds):
        for size in (ctx.baseline_size, ctx.size):
            ctx.log(f"API, base {size}, tour {r + 1}/{rounds}…")
            out = ctx.worker(size, "api_cep", requests=per_round, seed=r)
            for metric, values in out["timings"].items():
                samples[size].setdefault(metric, []).extend(values)
    results = []
    for metric, label in METRICS.items():
        big, base = samples[ctx.size][metric], samples[ctx.baseline_size][metric]
        for q, name in ((50, "p50"), (95, "p95")):
            value, reference = _percentile(big, q), _percentile(base, q)
            ratio = value / reference if reference else None
            results.append(
                Result(
                    f"{name} {label}",
                    value,
                    "ms",
                    size=ctx.size,
                    baseline=reference,
                    baseline_size=ctx.baseline_size,
                    goal="ratio ≤ 1,5",
                    ok=ratio is not None and ratio <= RATIO_GOAL,
                    note=f"{len(big)} / {len(base)} appels",
                )
            )
    return results


METRICS = {
    "open": "ouvrir un CEP (POST /beneficiaries/{id}/ceps)",
    "close": "clôturer un CEP (POST /ceps/{id}/close)",
    "search_full": "rechercher « nom prénom » (GET /beneficiaries?name=)",
    "search_first_last": "rechercher « prénom nom » (GET /beneficiaries?name=)",
    "search_last": "rechercher un nom de famille (GET /beneficiaries?name=)",
    "search_prefix": "rechercher un début de nom de 3 lettres (GET /beneficiaries?name=)",
}


@benchmark("auto_close", title="Sortie automatique (cep_auto_close, chemin PostgreSQL)", goal="≤ 30 s sur la base")
def auto_close(ctx):
    ctx.database(ctx.baseline_size)
    ctx.database(ctx.size)
    out = {size: ctx.worker(size, "auto_close") for size in (ctx.baseline_size, ctx.size)}
    results = []
    for key, label in (
        ("today", "le jour même (base à jour)"),
        ("later", "31 jours plus tard (CEP à clôturer, annulé ensuite)"),
    ):
        big, base = out[ctx.size][key], out[ctx.baseline_size][key]
        results.append(
            Result(
                f"auto_close {label}",
                big["seconds"],
                "s",
                size=ctx.size,
                baseline=base["seconds"],
                baseline_size=ctx.baseline_size,
                goal="≤ 30 s",
                ok=big["seconds"] <= AUTO_CLOSE_GOAL_S,
                note=f"{big['closed']} CEP clôturés sur {big['open']} en cours (référence : {base['closed']})",
            )
        )
    return results


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# -- worker side (inside Django, DATABASE_URL = the measured base) -----------------------------------------------


def _client():
    from django.conf import settings
    from django.test import Client

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    return Client()


@task("api_cep")
def api_cep_task(*, requests: int, seed: int) -> dict:
    from django.db import connection

    from cep.accounts.models import User
    from cep.common.dates import today
    from cep.demo.accounts import ACCOUNTS

    account = next(a for a in ACCOUNTS if a.username == "conseiller.ml")
    user = User.objects.get(username=account.username)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {account.api_key}"}
    client = _client()
    warmup = 5
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.id FROM beneficiaries_beneficiary b WHERE b.structure_id = %s AND b.status = 'justified' "
            "AND NOT EXISTS (SELECT 1 FROM enrolments_cep c WHERE c.beneficiary_id = b.id "
            "AND c.status IN ('phase2', 'phase3')) ORDER BY md5(b.id::text || %s) LIMIT %s",
            [user.structure_id, str(seed), requests + warmup],
        )
        candidates = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT last_name, first_name FROM beneficiaries_beneficiary WHERE structure_id = %s "
            "ORDER BY md5(id::text || %s) LIMIT %s",
            [user.structure_id, str(seed), requests + warmup],
        )
        names = cursor.fetchall()
    day = today().isoformat()
    timings = {metric: [] for metric in METRICS}

    def timed(metric, call, expected):
        started = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expected:
            raise RuntimeError(f"{metric}: {response.status_code} {response.content[:300]!r}")
        if metric:
            timings[metric].append(elapsed)
        return response

    opened = []
    for i, beneficiary_id in enumerate(candidates):
        body = {
            "orientation_source": "ma_structure_entree_directe",
            "entry_date": day,
            "entry_phase": 2,
            "request_reason": "prise_de_recul",
        }
        response = timed(
            "open" if i >= warmup else None,
            lambda b=beneficiary_id, body=body: client.post(
                f"/api/v1/beneficiaries/{b}/ceps", body, content_type="application/json", **headers
            ),
            201,
        )
        opened.append(response.json()["id"])
    for i, cep_id in enumerate(opened):
        body = {"end_date": day, "exit_reason": "interruption_formalisee"}
        timed(
            "close" if i >= warmup else None,
            lambda c=cep_id, body=body: client.post(
                f"/api/v1/ceps/{c}/close", body, content_type="application/json", **headers
            ),
            200,
        )
    rng = random.Random(seed)
    rng.shuffle(names)
    for i, (last, first) in enumerate(names):
        searches = (
            ("search_full", f"{last} {first}"),
            ("search_first_last", f"{first} {last}"),
            ("search_last", last),
            ("search_prefix", last[:3]),
        )
        for metric, needle in searches:
            timed(
                metric if i >= warmup else None,
                lambda n=needle: client.get("/api/v1/beneficiaries", {"name": n, "limit": 20}, **headers),
                200,
            )
    return {"timings": timings}


@task("auto_close")
def auto_close_task() -> dict:
    from django.db import transaction

    from cep.common.dates import today
    from cep.enrolments.models import Cep
    from cep.enrolments.services import auto_close
    from cep.enrolments.workflow import OPEN_STATUSES

    out = {}
    open_count = Cep.objects.filter(status__in=OPEN_STATUSES).count()
    # Today: the real daily run on an up-to-date base (committed; it closes nothing or almost nothing).
    started = time.monotonic()
    closed = auto_close(on=today())
    out["today"] = {"seconds": time.monotonic() - started, "closed": closed, "open": open_count}
    # 31 days later, the CEPs "about to close" are due: measured, then rolled back so that the base keeps no
    # end date in the future for the benchmarks that follow.
    with transaction.atomic():
        started = time.monotonic()
        closed = auto_close(on=today() + datetime.timedelta(days=31))
        out["later"] = {"seconds": time.monotonic() - started, "closed": closed, "open": open_count}
        transaction.set_rollback(True)
    return out


@task("rule_checks")
def rule_checks_task() -> dict:
    from cep.demo import checks

    started = time.monotonic()
    violations = checks.violations()
    coverage = checks.coverage()
    return {
        "violations": sum(violations.values()),
        "broken": {k: v for k, v in violations.items() if v},
        "queries": len(violations) + len(coverage),
        "coverage": coverage,
        "seconds": time.monotonic() - started,
    }
