"""Benchmark: export of a national month against a raw `COPY (final query) TO STDOUT` in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_pages_1m uv run python bench/bench_export.py \
        [--month 2026-05] [--rounds 3] [--volume-months 5] [--no-validation] [--save]

For each round: (1) the raw COPY of the final query of each file (the same SQL, in a transaction with the same
settings, lines only streamed to a hash); (2) the export itself: lines computed and recorded (INSERT … SELECT),
then each file streamed back with COPY into a SHA-256, as the batch production does. Memory: peak resident size
growth of this process during the export (flat = independent of the number of rows). Then, once, the validation
of the files and a full `produce()` for information. The month is by default the past month with the most lines
(entries + services of a CEP + exits).

Volume (`--volume-months N`, 0 to skip): the generated base has 56,000 to 86,000 lines per national month, the
issue expects ~350,000. The same SQL and the same export are then run once more over the objects of the N
months ending at the month (exports.month_bounds widened for this measure only), to give the cost at that
volume; those lines are not a valid month (the validator would refuse their dates) and are not validated.

After a send (`--no-after-send` to skip): the last month exported after a transmitted national batch of the
month before, sent on the 5th, in a transaction rolled back at the end (a real monthly run: rows changed since
the send are recomputed and compared with their transmitted lines).

Every batch created is deleted at the end, then reporting_exportline is vacuumed (the base is left as found).
Targets (issue 5): export ≤ 3 s for ~350,000 rows, export / raw COPY ≤ 1.3.
Registered in bench/registry.py as the benchmark `export_mensuel` (task `export_month`); `--save` records the
run alone in bench/results.json and renders docs/benchmarks.md.
"""

import argparse
import datetime
import hashlib
import os
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

NAME = "export"
TARGET_SECONDS = 3.0
TARGET_RATIO = 1.3
VOLUME_MONTHS = 5

try:
    from registry import Result, benchmark, save_standalone, task
except ImportError:  # imported from elsewhere without bench/ on the path
    Result = benchmark = save_standalone = task = None


def _setup_django():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _busiest_month():
    """The past month with the most lines of the national file (entries + services of a CEP + exits)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m FROM (
                SELECT date_trunc('month', entry_date) AS m FROM enrolments_cep WHERE status <> 'deleted'
                UNION ALL SELECT date_trunc('month', proposed_on) FROM offers_service WHERE cep_id IS NOT NULL
                UNION ALL SELECT date_trunc('month', end_date) FROM enrolments_cep WHERE status = 'closed'
            ) x WHERE m < date_trunc('month', now()) GROUP BY m ORDER BY count(*) DESC, m DESC LIMIT 1
            """
        )
        row = cursor.fetchone()
    return row[0].date() if row else None


@contextmanager
def _widened(month: datetime.date, months: int):
    """lines.month_bounds covering the `months` months ending at `month` (volume measure only)."""
    from cep.common.dates import add_months
    from cep.reporting.exports import lines

    original = lines.month_bounds

    def widened(m):
        start, end = original(m)
        return (add_months(start, 1 - months), end) if m == month else (start, end)

    lines.month_bounds = widened
    try:
        yield
    finally:
        lines.month_bounds = original


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (None unless the server is local)."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _timed(fn) -> tuple[float, float | None, object]:
    """Wall seconds, server CPU seconds (or None) and result of fn()."""
    cpu, started = _server_cpu(), time.perf_counter()
    out = fn()
    wall, cpu_after = time.perf_counter() - started, _server_cpu()
    return wall, (cpu_after - cpu if cpu is not None and cpu_after is not None else None), out


def _raw(scope, month, version) -> int:
    """The raw COPY of the three files, streamed to hashes; returns the number of chunks (lines + headers)."""
    from django.db import connection, transaction

    from cep.reporting.exports.files import raw_copy
    from cep.reporting.exports.lines import tune

    chunks = 0
    with transaction.atomic():  # the export's transaction settings (exports.tune)
        with connection.cursor() as cursor:
            tune(cursor)
        for res in version.resources.values():
            digest = hashlib.sha256()
            for chunk in raw_copy(scope, month, res):
                digest.update(chunk)
                chunks += 1
    return chunks


def _export(month, version, created: list) -> dict:
    """The export: lines computed and recorded, then each file read back with its SHA-256; batch deleted."""
    from django.db import transaction

    from cep.reporting.exports.files import file_digest
    from cep.reporting.exports.lines import insert_lines
    from cep.reporting.exports.models import ExportBatch, Scope

    batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
    created.append(batch.pk)
    try:
        rss_before = _rss_mb()
        started = time.perf_counter()
        with transaction.atomic():
            counts = insert_lines(batch, version)
        insert_s = time.perf_counter() - started
        for res in version.resources.values():
            file_digest(batch.pk, res)
        return {"counts": counts, "insert_s": insert_s, "rss": _rss_mb() - rss_before}
    finally:
        batch.delete()


def _round(scope, month, version, created: list, export_first: bool = False) -> dict:
    """The raw COPY and the export, one after the other (order alternated between rounds)."""
    steps = {
        "raw": lambda: _timed(lambda: _raw(scope, month, version)),
        "export": lambda: _timed(lambda: _export(month, version, created)),
    }
    order = ["export", "raw"] if export_first else ["raw", "export"]
    done = {name: steps[name]() for name in order}
    raw_s, raw_cpu, raw_chunks = done["raw"]
    export_s, export_cpu, out = done["export"]
    rows = sum(sum(c.values()) for c in out["counts"].values())
    assert rows == raw_chunks - len(version.resources), (rows, raw_chunks)
    return {
        "raw_s": raw_s,
        "export_s": export_s,
        "raw_cpu": raw_cpu,
        "export_cpu": export_cpu,
        "insert_s": out["insert_s"],
        "rss": out["rss"],
        "rows": rows,
        "files": {name: sum(c.values()) for name, c in out["counts"].items()},
    }


def _summary(measures: list[dict]) -> dict:
    def median(key):
        values = [m[key] for m in measures if m[key] is not None]
        return round(statistics.median(values), 3) if values else None

    out = {
        "rows": measures[0]["rows"],
        "files": measures[0]["files"],
        "raw_copy_s": median("raw_s"),
        "export_s": median("export_s"),
        "insert_s": median("insert_s"),
        "raw_cpu_s": median("raw_cpu"),
        "export_cpu_s": median("export_cpu"),
        "ratios": [round(m["export_s"] / m["raw_s"], 2) for m in measures],
        "rss_growth_mb": round(max(m["rss"] for m in measures), 1),
    }
    out["ratio"] = round(out["export_s"] / out["raw_copy_s"], 2) if out["raw_copy_s"] else None
    out["cpu_ratio"] = round(out["export_cpu_s"] / out["raw_cpu_s"], 2) if out["raw_cpu_s"] else None
    return out


class _Rollback(Exception):
    pass


def _after_a_send(version_for_month) -> dict:
    """Export of the last month after a transmitted national batch of the month before, in a rolled-back transaction.

    The earlier batch is recorded as sent on the 5th of the month measured: every row changed since the 4th is a
    candidate (recomputed and compared with its transmitted line), as in a real monthly run.
    """
    from django.db import transaction

    from cep.common.months import last_complete_month
    from cep.reporting.exports.files import file_digest
    from cep.reporting.exports.lines import insert_lines
    from cep.reporting.exports.models import BatchStatus, ExportBatch, LineState, Scope

    month = last_complete_month()
    before = (month - datetime.timedelta(days=1)).replace(day=1)
    sent_on = datetime.datetime.combine(month.replace(day=5), datetime.time(9), tzinfo=datetime.UTC)
    out = {"month": f"{month:%Y-%m}", "previous": f"{before:%Y-%m}", "sent_on": f"{sent_on:%Y-%m-%d}"}
    try:
        with transaction.atomic():
            earlier = ExportBatch.objects.create(
                scope=Scope.NATIONAL, month=before, contract_version=version_for_month(before).version
            )
            insert_lines(earlier, version_for_month(before))
            earlier.lines.update(state=LineState.SENT)
            ExportBatch.objects.filter(pk=earlier.pk).update(status=BatchStatus.TRANSMITTED, generated_at=sent_on)
            version = version_for_month(month)
            batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
            started = time.perf_counter()
            with transaction.atomic():
                counts = insert_lines(batch, version)
            for res in version.resources.values():
                file_digest(batch.pk, res)
            out["export_s"] = round(time.perf_counter() - started, 3)
            out["rows"] = sum(sum(c.values()) for c in counts.values())
            out["counts"] = counts
            raise _Rollback
    except _Rollback:
        pass
    return out


def run(
    month: datetime.date | None = None,
    rounds: int = 3,
    validate: bool = True,
    volume_months: int = 0,
    after_send: bool = False,
) -> dict:
    from django.db import connection, transaction

    from cep.reporting.exports.batches import produce
    from cep.reporting.exports.contract import version_for_month
    from cep.reporting.exports.files import stream_file
    from cep.reporting.exports.lines import insert_lines
    from cep.reporting.exports.models import ExportBatch, Scope
    from cep.reporting.exports.scopes import ExportScope
    from cep.reporting.exports.validation import Report, Validator, lines_of, load_schema

    month = (month or _busiest_month()).replace(day=1)
    version = version_for_month(month)
    scope = ExportScope(Scope.NATIONAL)
    created = []  # every batch this run creates, deleted at the end whatever happens
    _raw(scope, month, version)  # warm-up (caches), not counted
    measures = [_round(scope, month, version, created, export_first=i % 2 == 1) for i in range(rounds)]
    result = {"name": NAME, "month": f"{month:%Y-%m}", "contract_version": version.version, **_summary(measures)}

    try:
        if validate:
            batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
            created.append(batch.pk)
            with transaction.atomic():
                insert_lines(batch, version)
            started, report = time.perf_counter(), Report()
            for res in version.resources.values():
                validator = Validator(load_schema(version, res.name), res, month)
                validator.validate_lines(lines_of(stream_file(batch.pk, res)), report)
            result["validation_s"] = round(time.perf_counter() - started, 3)
            result["validation_errors"] = report.error_count
            batch.delete()
            batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
            created.append(batch.pk)
            started = time.perf_counter()
            produce(batch.pk, run_auto_close=False)
            result["produce_s"] = round(time.perf_counter() - started, 3)
            batch.delete()
        if volume_months > 1:
            with _widened(month, volume_months):
                volume = [_round(scope, month, version, created, export_first=i == 1) for i in range(2)]
            result["volume"] = {"months": volume_months, **_summary(volume)}
        if after_send:
            result["after_send"] = _after_a_send(version_for_month)
    finally:
        ExportBatch.objects.filter(pk__in=created).delete()
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE reporting_exportline")

    result["ok"] = bool(
        result["export_s"] <= TARGET_SECONDS and result["ratio"] is not None and result["ratio"] <= TARGET_RATIO
    )
    return result


# -- registry (bench/run.py) --------------------------------------------------------------------------------------


def _cpu_note(r: dict) -> str:
    if r.get("raw_cpu_s") is None:
        return ""
    return (
        f" ; temps processeur du serveur : export {r['export_cpu_s']} s, COPY brut {r['raw_cpu_s']} s "
        f"(rapport {r['cpu_ratio']})"
    )


def results_of(r: dict, size: int | None) -> list:
    note = (
        f"mois {r['month']} (contrat {r['contract_version']}), le plus chargé : {r['rows']} lignes "
        f"({', '.join(f'{k} {v}' for k, v in r['files'].items())}) ; médiane de {len(r['ratios'])} tours (ordre "
        f"alterné), rapports des tours {r['ratios']} ; enregistrement (INSERT) {r['insert_s']} s{_cpu_note(r)} ; "
        f"mémoire +{r['rss_growth_mb']} Mo ; contrôle {r.get('validation_s')} s ; production complète "
        f"{r.get('produce_s')} s ; référence = COPY (requête finale) TO STDOUT brut, mêmes réglages"
    )
    results = [
        Result(
            "export d'un mois national (lignes enregistrées + fichiers relus avec SHA-256)",
            r["export_s"],
            "s",
            size=size,
            baseline=r["raw_copy_s"],
            baseline_size=size,
            goal="≤ 3 s et ≤ 1,3 × COPY brut",
            ok=r["ok"],
            note=note,
        ),
        Result("lignes du mois", r["rows"], "lignes", size=size, goal="~350 000", note="mois national le plus chargé"),
    ]
    v = r.get("volume")
    if v:
        per_line = 1e6 * v["export_s"] / v["rows"]
        results.append(
            Result(
                f"volume : même export sur les objets de {v['months']} mois ({v['rows']} lignes)",
                v["export_s"],
                "s",
                size=size,
                baseline=v["raw_copy_s"],
                baseline_size=size,
                goal="≤ 3 s pour ~350 000 lignes",
                ok=v["export_s"] <= TARGET_SECONDS,
                note=f"{', '.join(f'{k} {n}' for k, n in v['files'].items())} ; médiane de 2 tours, rapports "
                f"{v['ratios']} ; enregistrement {v['insert_s']} s{_cpu_note(v)} ; {per_line:.1f} µs par ligne ; "
                f"mémoire +{v['rss_growth_mb']} Mo",
            )
        )
    a = r.get("after_send")
    if a:
        movements = {}
        for by_movement in a["counts"].values():
            for name, n in by_movement.items():
                movements[name] = movements.get(name, 0) + n
        results.append(
            Result(
                f"mois {a['month']} après l'envoi national de {a['previous']} (le {a['sent_on']})",
                a["export_s"],
                "s",
                size=size,
                goal="",
                note=f"{a['rows']} lignes ({', '.join(f'{k} {n}' for k, n in movements.items())}) ; chaque "
                "objet modifié depuis l'envoi est recalculé et comparé à sa ligne transmise (données inchangées "
                "depuis la génération : aucune correction) ; un tour, transaction annulée",
            )
        )
    return results


if task is not None:

    @task("export_month")
    def export_task(month: str | None = None, rounds: int = 3, volume_months: int = VOLUME_MONTHS) -> dict:
        from cep.reporting.exports.batches import parse_month

        return run(parse_month(month) if month else None, rounds, volume_months=volume_months, after_send=True)

    @benchmark(
        "export_mensuel",
        title="Fichier mensuel national : export face à COPY (requête finale) brut",
        goal="≤ 3 s pour ~350 000 lignes ; rapport à COPY ≤ 1,3 ; mémoire plate",
    )
    def export_benchmark(ctx):
        ctx.database(ctx.size)
        return results_of(ctx.worker(ctx.size, "export_month"), ctx.size)


NOTES = [
    "Où va le temps (mois 2026-05 de la base de 1 000 000 : 85 474 lignes ; temps processeur du serveur mesuré à "
    "part, la machine de 2 cœurs étant partagée) : requêtes des trois fichiers ~1,2 s (entrées 0,57 s, services "
    "0,30 s, sorties 0,30 s), enregistrement (INSERT … SELECT, deux index, WAL) ~4 µs par ligne, relecture COPY des "
    "trois fichiers avec SHA-256 ~0,15 s. Dans les entrées (42 097 lignes) : lecture des CEP du mois 70 ms, "
    "bénéficiaires lus par clé ~250 ms (shared_buffers de 128 Mo, réglage Debian : un quart des pages vient du cache "
    "du système), mise en texte des 25 champs 130 ms, deux HMAC-SHA-256 (quatre sha256) 120 ms, empreinte de la "
    "ligne 30 ms ; tri et numérotation pèsent peu. L'écart au COPY brut est l'enregistrement (~4 µs par "
    "ligne : tas, deux index, WAL) et la relecture des lignes, ~0,4 s ; la requête étant deux fois plus rapide "
    "qu'avant, ce surcoût fixe pèse davantage dans le rapport (1,24 avant optimisation ; 1,2 à 1,4 selon les tours "
    "maintenant, tout près de l'objectif de 1,3). Le "
    "banc chauffe les caches avant de mesurer et alterne l'ordre des deux mesures (avant, le COPY brut passait "
    "toujours le premier, à froid, ce qui flattait le rapport).",
    "Gains gardés, octets identiques (mêmes lignes, mouvements et empreintes avant et après, vérifié sur les "
    "périmètres national, opérateur et structure, et après un envoi avec corrections) : les candidats lus une fois "
    "(objets du mois parcourus avec leur ligne entière, objets modifiés ou rejetés lus par clé ; avant, une table "
    "de hachage de toutes les lignes antérieures à la fin du mois, qui grossit avec l'historique), pas de filtre de "
    "structure pour le national, random_page_cost 1,1 et JIT coupé dans la transaction de l'export (SET LOCAL ; le "
    "COPY brut a les mêmes réglages), un candidat antérieur au premier mois transmis et jamais transmis écarté "
    "avant le calcul de sa ligne, comptes par mouvement tirés de l'INSERT (RETURNING). Mois 2026-05 : 3,7 s → "
    "1,8 à 2,4 s selon la charge. Essayés sans gain : concat() au lieu de ||, work_mem de 32 à 128 Mo, candidats "
    "en sous-requête plutôt qu'en CTE (le planificateur hache alors le million de bénéficiaires), "
    "synchronous_commit (le COMMIT coûte ~10 ms), index unique en collation C, lignes modifiées lues par clé "
    "(LATERAL … OFFSET 0) plutôt que hachées contre un parcours de la table (pas de gain mesurable après un envoi). "
    "Index de reporting_exportline (mesuré "
    "sur une table neuve, 42 000 lignes) : tas et WAL ~1,7 µs par ligne, index unique (lot, fichier, numéro) ~1,4 µs, "
    "clé primaire et identité ~0,3 µs ; les deux sont nécessaires (intégrité, lecture des fichiers dans l'ordre, "
    "fichier retour) et les reconstruire après coup coûterait toute la table ; un fillfactor < 100 n'aide pas des "
    "insertions en fin de table. PostgreSQL 15 ne parallélise pas un "
    "INSERT … SELECT, et même en SELECT simple le calcul des lignes reste au-dessus du Gather.",
    "La base générée compte 56 000 à 86 000 lignes par mois national, pas ~350 000 : la mesure « volume » passe le "
    "même export sur les objets de cinq mois (~406 000 lignes), soit ~15 à 19 µs par ligne et ~6 à 7 s pour 350 000 "
    "lignes sur cette machine. Le calcul incompressible à octets identiques (HMAC, empreinte, mise en texte) fait "
    "~7 µs par ligne à lui seul : tenir 3 s à ce volume demanderait une table des pseudonymes tenue à jour (HMAC "
    "calculés à l'écriture des dossiers), des shared_buffers à la taille des tables lues (~600 Mo) et un calcul "
    "parallèle (une connexion par fichier sur un instantané partagé) sur des cœurs libres. Après un envoi, le coût "
    "monte avec les lignes modifiées depuis l'envoi (toutes recalculées et comparées) : ~85 000 CEP et ~78 000 "
    "personnes modifiés en sept semaines dans la base générée ; la recherche de ces candidats (parcours des CEP "
    "par date de modification et par personne modifiée) en est la plus grosse part.",
]


def save(out: dict, size: int | None) -> None:
    """Record the results in bench/results.json (section `export_mensuel`) and render docs/benchmarks.md."""
    save_standalone("export_mensuel", "bench_export.py", results_of(out, size), NOTES)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", help="mois AAAA-MM (par défaut : le mois passé le plus chargé)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--volume-months", type=int, default=VOLUME_MONTHS, help="0 : pas de mesure de volume")
    parser.add_argument("--no-validation", action="store_true")
    parser.add_argument("--no-after-send", action="store_true", help="sans la mesure du mois suivant un envoi")
    parser.add_argument("--save", action="store_true", help="enregistrer dans bench/results.json et la doc")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL manquant : la base mesurée (par exemple …/cep_pages_1m).")
    _setup_django()
    from cep.beneficiaries.models import Beneficiary
    from cep.reporting.exports.batches import parse_month

    month = parse_month(args.month) if args.month else None
    result = run(
        month,
        args.rounds,
        validate=not args.no_validation,
        volume_months=args.volume_months,
        after_send=not args.no_after_send,
    )
    for key, value in result.items():
        print(f"{key:>18}: {value}")
    if args.save:
        save(result, Beneficiary.objects.count())
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
