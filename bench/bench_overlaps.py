"""Benchmark: double accompaniment (issue 11, part 3) over the generated base.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_identity_bench_1000000 nice -n 5 \
        uv run python bench/bench_overlaps.py [--share 0.01] [--rounds 3] [--save]

The generated base holds one dossier per person, so it has (almost) no overlap: in a transaction rolled back at the
end, a share of the CEPs in progress (`--share`, 1 % by default) takes the identity pseudonym of a CEP in progress of
another structure, then:

- the national report of the day (`overlaps.national_overlaps()`, read through the partial index
  cep_open_identity_idx), median of the rounds, against a reference measured in the same run: counting the CEPs in
  progress (`count(*)` over the same rows, through the partial index cep_open_activity_idx);
- the check made when a CEP is opened (`overlaps.elsewhere(cep)`) on 200 CEPs in progress, p50 and p95;
- the plan (the partial index must be read, not the table);
- the homonyms of the generated base before the injection: pseudonyms shared by several dossiers (each dossier of
  the generated base is a different person) — the residual risk of docs/decisions.md, « Pseudonyme d'identité ».

Goal (issue 11): overlap detection ≤ 5 s over 1,000,000 persons. Registered in bench/registry.py as the benchmark
`doubles_accompagnements` (task `overlaps`); `--save` records the run alone in bench/results.json.
"""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

GOAL_SECONDS = 5.0
SHARE = 0.01

try:
    from registry import Result, benchmark, main_standalone, save_standalone, task
except ImportError:  # imported from elsewhere without bench/ on the path
    Result = benchmark = main_standalone = save_standalone = task = None

_INJECT = """
WITH open AS (
    SELECT id, structure_id, identity_pseudonym, row_number() OVER (ORDER BY md5(id::text)) AS rn
    FROM enrolments_cep WHERE status IN ('phase2', 'phase3')
), target AS (SELECT * FROM open WHERE rn %% %(every)s = 0),
   source AS (SELECT * FROM open WHERE rn %% %(every)s = 1)
UPDATE enrolments_cep c SET identity_pseudonym = s.identity_pseudonym
FROM target t JOIN source s ON s.rn = t.rn + 1
WHERE c.id = t.id AND s.structure_id <> t.structure_id
"""


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def run(share: float = SHARE, rounds: int = 3) -> dict:
    from django.db import connection, transaction

    from cep.enrolments import overlaps
    from cep.enrolments.models import Cep
    from cep.enrolments.workflow import OPEN_STATUSES

    out = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT identity_pseudonym) FROM beneficiaries_beneficiary "
            "WHERE identity_pseudonym <> ''"
        )
        out["dossiers"], distinct = cursor.fetchone()
        out["homonym_dossiers"] = out["dossiers"] - distinct
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM beneficiaries_beneficiary WHERE identity_pseudonym <> '' "
            "GROUP BY identity_pseudonym HAVING count(*) > 1) g"
        )
        out["homonym_groups"] = cursor.fetchone()[0]
    # The visibility map autovacuum keeps in production (a freshly generated base has none yet): without it the
    # index-only scan of the partial index reads the table too.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) enrolments_cep")
    out["natural_overlaps"] = len(overlaps.national_overlaps())
    with connection.cursor() as cursor:  # the plan of the base as production keeps it (before the injection)
        cursor.execute("EXPLAIN " + overlaps._SHARED_SQL.format(in_progress=overlaps._IN_PROGRESS_NOW))
        plan = "\n".join(r[0] for r in cursor.fetchall())
    out["uses_partial_index"] = "cep_open_identity_idx" in plan
    out["natural_report_s"], _ = _timed(overlaps.national_overlaps)
    # The home page of the counselor who follows the most CEPs in progress (both sections of issue 11).
    from django.db.models import Count

    from cep.accounts.models import User

    busiest = (
        Cep.objects.filter(status__in=OPEN_STATUSES, beneficiary__referent__isnull=False)
        .values("beneficiary__referent")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest:
        counselor = User.objects.get(pk=busiest["beneficiary__referent"])
        out["home_ceps"] = busiest["n"]
        out["home_overlaps_ms"] = statistics.median(
            _timed(lambda: overlaps.overlapping_ceps(counselor))[0] * 1000 for _ in range(3)
        )
        out["home_ft_ms"] = statistics.median(
            _timed(lambda: overlaps.france_travail_registration_ended(counselor))[0] * 1000 for _ in range(3)
        )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_INJECT, {"every": max(2, round(1 / share))})
            out["injected"] = cursor.rowcount
            cursor.execute("ANALYZE enrolments_cep")
        open_count = Cep.objects.filter(status__in=OPEN_STATUSES).count()
        out["open_ceps"] = open_count
        report, reference = [], []
        for _ in range(rounds):
            seconds, rows = _timed(overlaps.national_overlaps)
            report.append(seconds)
            out["pairs"], out["persons"] = len(rows), len({r[0] for r in rows})
            seconds, _ = _timed(lambda: Cep.objects.filter(status__in=OPEN_STATUSES).count())
            reference.append(seconds)
        out["report_s"] = statistics.median(report)
        out["reference_s"] = statistics.median(reference)
        ids = list(Cep.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True)[:20000])
        sample = random.Random(11).sample(ids, min(200, len(ids)))
        timings = []
        for pk in sample:
            cep = Cep.objects.get(pk=pk)
            seconds, _ = _timed(lambda c=cep: overlaps.elsewhere(c))
            timings.append(seconds * 1000)
        timings.sort()
        out["check_p50_ms"] = timings[len(timings) // 2]
        out["check_p95_ms"] = timings[int(len(timings) * 0.95) - 1]
        transaction.set_rollback(True)
    out["ok"] = max(out["report_s"], out["natural_report_s"]) <= GOAL_SECONDS
    return out


def results_of(out: dict, size: int | None) -> list:
    return [
        Result(
            "rapport national des doubles accompagnements du jour (médiane)",
            out["report_s"],
            "s",
            size=size,
            baseline=out["reference_s"],
            baseline_size=size,
            goal=f"≤ {GOAL_SECONDS:g} s à 1 000 000",
            ok=out["ok"],
            note=f"{out['open_ceps']} CEP en cours, {out['injected']} doubles injectés (transaction annulée), "
            f"{out['persons']} personnes / {out['pairs']} paires trouvées (une paire injectée entre France Travail et "
            f"un autre réseau pour un demandeur d'emploi est l'exception, non signalée) ; référence : compter les CEP "
            "en cours",
        ),
        Result(
            "rapport national du jour sur la base telle quelle (sans injection)",
            out["natural_report_s"],
            "s",
            size=size,
            goal=f"≤ {GOAL_SECONDS:g} s à 1 000 000",
            ok=out["natural_report_s"] <= GOAL_SECONDS,
            note=f"index partiel cep_open_identity_idx lu (parcours d'index seul) : "
            f"{'oui' if out['uses_partial_index'] else 'NON'}",
        ),
        Result(
            "accueil du conseiller : « Double accompagnement possible » (médiane)",
            out.get("home_overlaps_ms", 0),
            "ms",
            size=size,
            note=f"le conseiller qui suit le plus de CEP en cours ({out.get('home_ceps', 0)})",
        ),
        Result(
            "accueil du conseiller : « Inscription à France Travail terminée » (médiane)",
            out.get("home_ft_ms", 0),
            "ms",
            size=size,
            note="même conseiller",
        ),
        Result("contrôle à l'ouverture d'un CEP, p50", out["check_p50_ms"], "ms", size=size),
        Result("contrôle à l'ouverture d'un CEP, p95", out["check_p95_ms"], "ms", size=size),
        Result(
            "dossiers de personnes différentes au même pseudonyme d'identité (base générée, homonymes séparés)",
            out["homonym_dossiers"],
            "dossiers",
            size=size,
            note=f"{out['homonym_groups']} pseudonymes partagés sur {out['dossiers']} dossiers ; "
            f"{out['natural_overlaps']} double(s) accompagnement(s) apparent(s) avant injection",
        ),
    ]


NOTES = [
    "Chaque dossier de la base générée est une personne différente : la base n'a pas de double accompagnement. Le "
    "banc en fabrique dans une transaction annulée à la fin : 1 % des CEP en cours prennent le pseudonyme d'identité "
    "d'un CEP en cours d'une autre structure. Homonymes : la base générée tire ses noms d'un petit vivier (350 noms "
    "de famille, prénoms de Faker) ; avant que le générateur ne les sépare (second prénom, "
    "cep/demo/loader.py:separate_homonyms), la base de 1 000 000 comptait 443 dossiers nés le même jour, de même "
    "sexe et de mêmes noms qu'un autre (1 sur 2 260, dont 37 avec deux CEP en cours dans deux structures, soit 37 "
    "faux doubles accompagnements) : du même ordre que l'estimation pour la population réelle (docs/decisions.md, "
    "« Pseudonyme d'identité »). La séparation de ces 443 dossiers, passe en une requête groupée et deux UPDATE, est "
    "comprise dans la génération.",
    "Où va le temps (base de 1 000 000, ~400 000 CEP en cours, machine de 2 cœurs partagée, charge 11 à 13) : la "
    "première version, une seule requête, prenait 9,6 à 12,6 s — compilation JIT 3,5 s, regroupement par tri sur "
    "disque (count(DISTINCT)), et le planificateur, trompé par l'estimation des pseudonymes partagés, hachait le "
    "million de bénéficiaires. Maintenant deux requêtes sans JIT : les pseudonymes partagés (parcours d'index seul "
    "de l'index partiel, min ≠ max de la structure, ~0,6 s quand la carte de visibilité est à jour, ~2 s si la table "
    "doit être relue comme juste après l'injection), puis les CEP qui les portent, lus par le même index, et leurs "
    "dossiers par clé (~0,6 s pour 7 800 CEP). Le banc passe VACUUM (ANALYZE) sur enrolments_cep avant de mesurer, "
    "comme l'autovacuum le fait en production (une base fraîchement générée n'a pas encore de carte de visibilité). "
    "Page d'accueil : les deux listes portent sur les CEP dont l'utilisateur est le référent (un responsable voit "
    "les siens) ; à l'échelle d'une structure entière (43 000 CEP en cours à France Travail dans la base générée) "
    "elles coûtaient 0,5 à 1,4 s, et un ORDER BY date d'entrée … LIMIT 50 faisait parcourir à PostgreSQL l'index "
    "des dates de tous les CEP (7 s quand rien ne correspond) : les clés sont lues puis triées en Python.",
]


def save(out: dict, size: int | None) -> None:
    save_standalone("doubles_accompagnements", "bench_overlaps.py", results_of(out, size), NOTES)


if task is not None:

    @task("overlaps")
    def overlaps_task(share: float = SHARE, rounds: int = 3) -> dict:
        return run(share, rounds)

    @benchmark(
        "doubles_accompagnements",
        title="Doubles accompagnements : rapport national et contrôle à l'ouverture",
        goal="≤ 5 s sur 1 000 000 de personnes",
    )
    def overlaps_benchmark(ctx):
        ctx.database(ctx.size)
        return results_of(ctx.worker(ctx.size, "overlaps"), ctx.size)


if __name__ == "__main__":
    share = float(sys.argv[sys.argv.index("--share") + 1]) if "--share" in sys.argv else SHARE
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    main_standalone(lambda: run(share, rounds), results_of, save, "cep_identity_bench_1000000")
