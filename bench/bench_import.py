"""Benchmark: import of a beneficiaries file with validation (issue 11, part 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_import_bench nice -n 10 \
        uv run python bench/bench_import.py [--lines 500000] [--save]

A CSV of `--lines` different people (semicolons, UTF-8, every column of the template filled) is written to a
temporary file, then, in the same run, on the same base:

- the import as a user runs it (cep/imports/services.py): `check_file` (the file streamed, each row checked in
  Python, its line written by COPY into imports_importline, then the plan in set-based SQL: duplicates in the file,
  matching against the structure's dossiers by identity pseudonym) and `apply` (the saved plan written by a few
  INSERT … SELECT / UPDATE … FROM, the name words by the statement-level triggers, one audit row per dossier by
  INSERT … SELECT), in lines per second;
- the reference: Django's `bulk_create` of the same rows (parsed by the csv module, the dossier's computed fields
  — identity pseudonym, search name, department, region — set as `save()` would, batch_size 5,000), without any
  validation, duplicate detection nor audit, in a transaction rolled back after the measure (its deferred
  foreign-key checks are run inside the measure, as the import's commit runs them);
- memory: peak RSS of the process after a first import of a tenth of the lines, then after the full import (flat:
  the file is never held in memory).

Goal (issue 11): ≥ 40,000 lines/s, at least 2× bulk_create. Registered in bench/registry.py as the benchmark
`import_beneficiaires` (task `import_beneficiaries`); `--save` records the run alone in bench/results.json.
"""

import csv
import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

GOAL_LINES_PER_S = 40_000
GOAL_RATIO = 2.0
LINES = 500_000

try:
    from registry import Result, benchmark, main_standalone, save_standalone, task
except ImportError:  # imported from elsewhere without bench/ on the path
    Result = benchmark = main_standalone = save_standalone = task = None

FIRST = ["Léa", "Hugo", "Chloé", "Lucas", "Inès", "Noé", "Zoé", "Théo", "Anaïs", "Éloïse"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]


def write_file(path: str, lines: int, offset: int = 0) -> None:
    """`lines` different people: the first name carries the line's number (no two share an identity)."""
    from cep.imports.beneficiaries import COLUMNS

    statuses = ["salarie_prive_temps_complet", "demandeur_emploi_indemnise", "travailleur_independant"]
    communes = ["2A004", "75056", "69123", "13055", "33063"]
    day0 = datetime.date(1960, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow([c.name for c in COLUMNS])
        for i in range(offset, offset + lines):
            birth = day0 + datetime.timedelta(days=i % 15_000)
            writer.writerow(
                [
                    LAST[i % 10],
                    f"{FIRST[(i // 10) % 10]}{i}",
                    "",
                    "F" if i % 2 else "M",
                    birth.strftime("%d/%m/%Y"),
                    "02/09/2025",
                    f"p{i}@example.org",
                    f"06{i % 100_000_000:08d}",
                    f"{i % 200} rue des Lilas",
                    communes[i % 5],
                    statuses[i % 3],
                    "oui",
                    f"niveau_{1 + i % 8}",
                    "non",
                    "M1607",
                    "oui",
                ]
            )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import(actor, path: str):
    from cep.imports import services

    started = time.perf_counter()
    with open(path, "rb") as file:
        batch = services.check_file(actor=actor, file=file, name=os.path.basename(path))
    checked = time.perf_counter()
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)  # applied when it commits
    batch.refresh_from_db()
    done = time.perf_counter()
    assert batch.status == "applied", batch.job_error
    return batch, checked - started, done - checked


def _bulk_create(path: str, structure, actor) -> float:
    from django.db import connection, transaction

    from cep.beneficiaries import identity
    from cep.beneficiaries.models import Beneficiary
    from cep.common.text import normalize_name
    from cep.organisations.models import Commune

    territory = {
        c: (d, r) for c, d, r in Commune.objects.values_list("code", "department_id", "department__region_id")
    }
    key = identity.identity_key()
    started = time.perf_counter()
    with transaction.atomic():
        with open(path, encoding="utf-8", newline="") as file:
            reader = csv.reader(file, delimiter=";")
            next(reader)
            pending = []
            for cells in reader:
                birth = datetime.datetime.strptime(cells[4], "%d/%m/%Y").date()
                department, region = territory[cells[9]]
                pending.append(
                    Beneficiary(
                        structure=structure,
                        referent=actor,
                        last_name=cells[0],
                        first_name=cells[1],
                        birth_name=cells[2],
                        sex=cells[3],
                        birth_date=birth,
                        first_reception_date=datetime.datetime.strptime(cells[5], "%d/%m/%Y").date(),
                        email=cells[6],
                        phone=cells[7],
                        address=cells[8],
                        commune_id=cells[9],
                        department_id=department,
                        region_id=region,
                        employment_status_id=cells[10],
                        holds_or_seeks_job=True,
                        qualification_level_id=cells[12],
                        has_rqth=False,
                        target_rome_code=cells[14],
                        status="justified",
                        justified_at=datetime.datetime.now(datetime.UTC),
                        search_name=normalize_name(f"{cells[0]} {cells[1]}"),
                        identity_pseudonym=identity.identity_pseudonym(
                            last_name=cells[0],
                            birth_name=cells[2],
                            first_name=cells[1],
                            birth_date=birth,
                            sex=cells[3],
                            key=key,
                        ),
                    )
                )
                if len(pending) == 5000:
                    Beneficiary.objects.bulk_create(pending, batch_size=5000)
                    pending = []
            Beneficiary.objects.bulk_create(pending, batch_size=5000)
            with connection.cursor() as cursor:  # the deferred foreign-key checks the import pays at its commit
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def run(lines: int = LINES, cleanup: bool = True, offset: int = 0) -> dict:
    from cep.accounts.models import User
    from cep.accounts.rights import Role
    from cep.beneficiaries.models import Beneficiary
    from cep.imports import services
    from cep.imports.models import ImportBatch, ImportLine
    from cep.organisations.models import Structure

    structure = Structure.objects.order_by("id").first()
    actor = User.objects.filter(role=Role.MANAGER, structure=structure).first()
    if actor is None:
        actor = User.objects.create(username="bench_import", role=Role.MANAGER, structure=structure)
    out = {"lines": lines, "structure_dossiers": Beneficiary.objects.filter(structure=structure).count()}
    with tempfile.TemporaryDirectory(prefix="cep-bench-import-") as folder:
        small, big = os.path.join(folder, "petit.csv"), os.path.join(folder, "grand.csv")
        write_file(small, lines // 10, offset=offset + lines)  # --offset: people not yet in the base
        write_file(big, lines, offset=offset)
        out["file_mib"] = round(os.path.getsize(big) / 1024 / 1024, 1)
        out["rss_start_mib"] = peak_rss_mib()
        batches = []
        batch, check_s, apply_s = _import(actor, small)
        batches.append(batch)
        out["rss_after_tenth_mib"] = peak_rss_mib()
        batch, check_s, apply_s = _import(actor, big)
        batches.append(batch)
        out["rss_after_full_mib"] = peak_rss_mib()
        out["check_s"], out["apply_s"] = check_s, apply_s
        out["import_s"] = check_s + apply_s
        out["created"] = batch.create_count
        out["lines_per_s"] = lines / out["import_s"]
        # Re-import of the same file: every line « inchangé » (the check only).
        started = time.perf_counter()
        with open(big, "rb") as file:
            again = services.check_file(actor=actor, file=file, name="grand.csv")
        out["reimport_check_s"] = time.perf_counter() - started
        out["reimport_unchanged"] = again.unchanged_count
        batches.append(again)
        out["bulk_create_s"] = _bulk_create(big, structure, actor)
        out["bulk_create_lines_per_s"] = lines / out["bulk_create_s"]
        out["ratio"] = out["bulk_create_s"] / out["import_s"]
        # Leave the base as it was, through the product's own undo (« Annuler l'import »), timed on the big batch:
        # the created dossiers, their words go; the batches' lines are deleted after.
        if not cleanup:
            return _finish(out)
        started = time.perf_counter()
        services.undo(batch=batches[1], actor=actor, run=False)  # the worker's job, run here on commit
        out["undo_s"] = time.perf_counter() - started
        services.undo(batch=batches[0], actor=actor, run=False)
        undone = ImportBatch.objects.filter(pk__in=[b.pk for b in batches[:2]], status="undone").count()
        assert undone == 2, "the undo was refused or failed"
        ids = [b.pk for b in batches]
        ImportLine.objects.filter(batch_id__in=ids).delete()
        ImportBatch.objects.filter(pk__in=ids).delete()
    return _finish(out)


def _finish(out: dict) -> dict:
    out["ok"] = out["lines_per_s"] >= GOAL_LINES_PER_S and out["ratio"] >= GOAL_RATIO
    return out


def results_of(out: dict, size: int | None) -> list:
    return [
        Result(
            f"import de {out['lines']:,} bénéficiaires avec contrôle (contrôle + application)".replace(",", "\u202f"),
            out["lines_per_s"],
            "lignes/s",
            size=size,
            baseline=out["bulk_create_lines_per_s"],
            baseline_size=size,
            goal=f"≥ {GOAL_LINES_PER_S:,} lignes/s et ≥ {GOAL_RATIO:g} × bulk_create".replace(",", "\u202f"),
            ok=out["ok"],
            note=f"{out['import_s']:.1f} s dont contrôle {out['check_s']:.1f} s et application "
            f"{out['apply_s']:.1f} s ; "
            f"référence : bulk_create de Django des mêmes lignes sans contrôle, {out['bulk_create_s']:.1f} s "
            f"(rapport {out['ratio']:.2f}) ; fichier de {out['file_mib']} Mo",
        ),
        Result(
            "mémoire : pic RSS après un import de 10 % des lignes, puis de toutes",
            out["rss_after_full_mib"],
            "Mio",
            size=size,
            baseline=out["rss_after_tenth_mib"],
            baseline_size=size,
            goal="plate (rapport ≈ 1)",
            ok=out["rss_after_full_mib"] <= 1.2 * out["rss_after_tenth_mib"],
            note=f"au départ {out['rss_start_mib']:.0f} Mio",
        ),
        *(
            [
                Result(
                    f"annulation de l'import de {out['lines']:,} lignes (suppression des dossiers créés)".replace(
                        ",", "\u202f"
                    ),
                    out["lines"] / out["undo_s"],
                    "lignes/s",
                    size=size,
                    note=f"{out['undo_s']:.1f} s en une transaction (historique, mots du nom, clés étrangères)",
                )
            ]
            if "undo_s" in out
            else []
        ),
        Result(
            "nouvel import du même fichier : contrôle seul, toutes les lignes « inchangé »",
            out["reimport_check_s"],
            "s",
            size=size,
            ok=out["reimport_unchanged"] == out["lines"],
            note=f"{out['reimport_unchanged']} lignes inchangées sur {out['lines']}",
        ),
    ]


NOTES = [
    "Chaque ligne est contrôlée en Python une seule fois (cellules, dates, codes des référentiels, règles DOSSIER et "
    "R1, pseudonyme d'identité HMAC) puis écrite par COPY dans imports_importline, qui sert de table de transit ; "
    "le rapprochement (doublons du fichier, dossiers existants de la structure par pseudonyme d'identité, R4, "
    "dossiers anonymisés) et l'écriture (INSERT … SELECT, UPDATE … FROM, historique par INSERT … SELECT) sont des "
    "requêtes ensemblistes, par tranches de 50 000 lignes pour la barre de progression, dans une seule transaction. "
    "Les mots du nom (recherche) sont écrits par les déclencheurs par instruction de beneficiaries_beneficiary, "
    "comme pour tout autre écrivain.",
    "Mesure du 2026-12-07 (soir) à 500 000 lignes, sur une base de 110 000 dossiers, machine partagée (deux autres "
    "processus de tests) : rapport 2,13 à bulk_create (objectif ≥ 2 atteint), 5 400 lignes/s (objectif "
    "≥ 40 000 lignes/s non atteint). Ce qui a changé depuis la mesure de l'après-midi (1 662 lignes/s, rapport "
    "1,01) : la fonction SQL des mots du nom est « inlinée » dans les déclencheurs (sans clause SET), l'INSERT de "
    "20 000 dossiers passe de 2,4 s à 0,9 s ; les doublons internes au fichier sont trouvés par une fenêtre et non "
    "par une auto-jointure (planifiée en boucle imbriquée : 22 s à 200 000 lignes) ; ANALYZE des seules colonnes "
    "jointes ; la référence bulk_create paie désormais ses contrôles de clés étrangères différés, comme le COMMIT "
    "de l'import. Pourquoi 40 000 lignes/s reste hors d'atteinte ici : PostgreSQL seul passe environ 45 s à écrire "
    "500 000 dossiers (7 clés étrangères, 6 index, 1,5 million de mots du nom sur 2 index, 500 000 lignes "
    "d'historique) sur 2 cœurs avec shared_buffers = 128 Mo ; le contrôle Python (dates, référentiels, "
    "pseudonyme HMAC) coûte environ 40 µs par ligne.",
    "Mesure refaite le 2026-12-07 à 22 h UTC (tableau ci-dessus), sur la base de 10 000 du banc, machine au repos "
    "(plus d'autre session de travail) et après la correction de l'ordre des identifiants : 6 654 lignes/s (75 s, "
    "dont contrôle 22 s et application 53 s), mais bulk_create, qui n'est que du Python sur un seul cœur, gagne "
    "davantage au repos (119 s au lieu d'environ 196 s) : rapport 1,58, **l'objectif ≥ 2 n'est plus atteint**. "
    "Le rapport dépend donc de la charge de la machine. Où va le temps (journal des requêtes de plus de 300 ms, "
    "100 000 lignes) : COPY et contrôle Python 4,0 s, rapprochement 1,6 s ; application : INSERT des dossiers avec "
    "leurs mots du nom 5,4 s, numérotation des lignes dans l'ordre du fichier (UPDATE de imports_importline, lignes "
    "larges, sans mise à jour HOT) 2,0 s, historique 1,6 s, COMMIT (clés étrangères différées) 2,5 s. Pistes non "
    "suivies : tirer les identifiants au contrôle, pendant le COPY (une requête nextval par tranche), ce qui "
    "supprime l'UPDATE mais montre un identifiant avant la création ; un fillfactor réduit sur imports_importline "
    "pour des mises à jour HOT ; le contrôle Python en deux processus.",
    "Mesure du 2026-12-08 à 1 h UTC (tableau ci-dessus), base de 10 000 du banc, machine au repos, sur une autre "
    "machine que la veille (bulk_create 126,7 s au lieu de 118,9 s : environ 6 % plus lente) : 6 544 lignes/s "
    "(76,4 s, dont contrôle 25,2 s et application 51,3 s), rapport 1,66 (1,58 la veille) ; **les deux objectifs "
    "restent non atteints**. Ce qui a changé : une ligne « create » reçoit au contrôle l'identifiant de son futur "
    "dossier (tiré de la séquence avant chaque bloc de 5 000 lignes écrit par COPY), l'UPDATE de numérotation de "
    "l'application disparaît (environ −5 s à 500 000 lignes, à machine égale) ; mais le contrôle écrit maintenant "
    "par blocs, et PostgreSQL ne traite plus un bloc pendant que Python contrôle le suivant (environ +1,7 s) ; le "
    "JSON des lignes est écrit par un encodeur construit une fois (−0,25 s par 100 000 lignes). Un fillfactor "
    "réduit sur imports_importline a été essayé : l'UPDATE devient HOT sans être plus rapide (1,43 s contre 1,52 s "
    "pour 100 000 lignes). L'annulation passe de 57,6 s à 75,5 s : ses sondes « rien n'a été bâti depuis » partent "
    "maintenant des lignes du lot, une recherche par index par ligne (environ 0,3 s par sonde et 100 000 lignes, "
    "deux passes de 12 sondes) ; la jointure simple d'avant, rapide sur cette petite base, était planifiée avec les "
    "statistiques de l'historique périmées juste après un grand import en boucle imbriquée sur tout l'historique "
    "récent : 450 s pour annuler un lot de 10 000 lignes après un import de 100 000 ; sur une base nationale, elle "
    "lirait en entier les tables sondées (événements, services). Où va le temps de l'INSERT des dossiers "
    "(EXPLAIN ANALYZE, 50 000 lignes) : 3,4 s dont 2,0 s dans le déclencheur des mots du nom (150 000 mots, deux "
    "index) ; bulk_create paie le même.",
]


def save(out: dict, size: int | None) -> None:
    save_standalone("import_beneficiaires", "bench_import.py", results_of(out, size), NOTES)


if task is not None:

    @task("import_beneficiaries")
    def import_task(lines: int = LINES) -> dict:
        return run(lines)

    @benchmark(
        "import_beneficiaires",
        title="Import d'un fichier de bénéficiaires (contrôle et application)",
        goal="≥ 40 000 lignes/s, ≥ 2 × bulk_create, mémoire plate",
    )
    def import_benchmark(ctx):
        ctx.database(ctx.baseline_size)
        return results_of(ctx.worker(ctx.baseline_size, "import_beneficiaries"), ctx.baseline_size)


if __name__ == "__main__":
    lines = int(sys.argv[sys.argv.index("--lines") + 1]) if "--lines" in sys.argv else LINES
    offset = int(sys.argv[sys.argv.index("--offset") + 1]) if "--offset" in sys.argv else 0
    cleanup = "--no-cleanup" not in sys.argv
    main_standalone(lambda: run(lines, cleanup, offset), results_of, save, "cep_import_bench")
