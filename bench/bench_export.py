"""Benchmark: export of a national month against a raw `COPY (final query) TO STDOUT` in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_bench uv run python bench/bench_export.py [--month 2026-10]

For each round: (1) the raw COPY of the final query of each file (the same SQL the export runs, lines only
streamed to a hash); (2) the export itself: lines computed and recorded (INSERT … SELECT), then each file
streamed back with COPY into a SHA-256, as the batch production does. Memory: peak resident size growth of
this process during the export (flat = independent of the number of rows). Then, once, the validation of
the files and a full `produce()` for information. The national batch is deleted afterwards.

Targets (issue 5): export ≤ 3 s for ~350,000 rows, export / raw COPY ≤ 1.3.
Registered in bench/registry.py as the benchmark `export_mensuel` (task `export_month`); also runnable alone.
"""

import argparse
import datetime
import hashlib
import os
import resource
import statistics
import sys
import time
from pathlib import Path

NAME = "export"
TARGET_SECONDS = 3.0
TARGET_RATIO = 1.3


def _setup_django():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _busiest_month():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc('month', entry_date)::date FROM enrolments_cep "
            "WHERE entry_date < date_trunc('month', now()) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def run(month: datetime.date | None = None, rounds: int = 3, validate: bool = True) -> dict:
    from django.db import connection, transaction

    from cep.reporting.batches import produce
    from cep.reporting.contract import version_for_month
    from cep.reporting.exports import ExportScope, file_digest, insert_lines, raw_copy, tune
    from cep.reporting.models import ExportBatch, Scope
    from cep.reporting.validation import Report, Validator, lines_of, load_schema

    month = (month or _busiest_month()).replace(day=1)
    version = version_for_month(month)
    scope = ExportScope(Scope.NATIONAL)
    raw_times, export_times, rss_growth, rows = [], [], [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        raw_rows = 0
        with transaction.atomic():  # same session settings as the export (work_mem)
            with connection.cursor() as cursor:
                tune(cursor)
            for res in version.resources.values():
                digest = hashlib.sha256()
                for chunk in raw_copy(scope, month, res):
                    digest.update(chunk)
                    raw_rows += 1
        raw_times.append(time.perf_counter() - started)

        batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
        rss_before = _rss_mb()
        started = time.perf_counter()
        with transaction.atomic():
            counts = insert_lines(batch, version)
        for res in version.resources.values():
            file_digest(batch.pk, res)
        export_times.append(time.perf_counter() - started)
        rss_growth.append(_rss_mb() - rss_before)
        rows = sum(sum(c.values()) for c in counts.values())
        assert rows == raw_rows - len(version.resources), (rows, raw_rows)
        batch.delete()

    result = {
        "name": NAME,
        "month": f"{month:%Y-%m}",
        "contract_version": version.version,
        "rows": rows,
        "raw_copy_s": round(statistics.median(raw_times), 3),
        "export_s": round(statistics.median(export_times), 3),
        "rss_growth_mb": round(max(rss_growth), 1),
    }
    result["ratio"] = round(result["export_s"] / result["raw_copy_s"], 2) if result["raw_copy_s"] else None

    if validate:
        batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
        with transaction.atomic():
            insert_lines(batch, version)
        started, report = time.perf_counter(), Report()
        from cep.reporting.exports import stream_file

        for res in version.resources.values():
            validator = Validator(load_schema(version, res.name), res, month)
            validator.validate_lines(lines_of(stream_file(batch.pk, res)), report)
        result["validation_s"] = round(time.perf_counter() - started, 3)
        result["validation_errors"] = report.error_count
        batch.delete()
        batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
        started = time.perf_counter()
        produce(batch.pk, run_auto_close=False)
        result["produce_s"] = round(time.perf_counter() - started, 3)
        batch.delete()
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE reporting_exportline")

    result["ok"] = bool(
        result["export_s"] <= TARGET_SECONDS and result["ratio"] is not None and result["ratio"] <= TARGET_RATIO
    )
    return result


# -- registry (bench/run.py) --------------------------------------------------------------------------------------

try:
    from registry import Result, benchmark, task
except ImportError:  # run alone, without the orchestrator
    Result = benchmark = task = None

if task is not None:

    @task("export_month")
    def export_task(month: str | None = None, rounds: int = 3) -> dict:
        from cep.reporting.batches import parse_month

        return run(parse_month(month) if month else None, rounds)

    @benchmark(
        "export_mensuel",
        title="Fichier mensuel national : export face à COPY (requête finale) brut",
        goal="≤ 3 s pour ~350 000 lignes ; rapport à COPY ≤ 1,3 ; mémoire plate",
    )
    def export_benchmark(ctx):
        ctx.database(ctx.size)
        r = ctx.worker(ctx.size, "export_month")
        note = (
            f"mois {r['month']} (contrat {r['contract_version']}), {r['rows']} lignes ; "
            f"mémoire +{r['rss_growth_mb']} Mo"
            f" ; contrôle {r.get('validation_s')} s ; production complète {r.get('produce_s')} s"
        )
        return [
            Result(
                "export d'un mois national (lignes enregistrées + fichiers relus avec SHA-256)",
                r["export_s"],
                "s",
                size=ctx.size,
                baseline=r["raw_copy_s"],
                baseline_size=ctx.size,
                goal="≤ 3 s et ≤ 1,3 × COPY brut",
                ok=r["ok"],
                note=note,
            ),
            Result("lignes du mois", r["rows"], "lignes", size=ctx.size, goal="~350 000", note=note),
        ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", help="mois AAAA-MM (par défaut : le mois le plus chargé)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-validation", action="store_true")
    args = parser.parse_args(argv)
    _setup_django()
    from cep.reporting.batches import parse_month

    month = parse_month(args.month) if args.month else None
    result = run(month, args.rounds, validate=not args.no_validation)
    for key, value in result.items():
        print(f"{key:>18}: {value}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
