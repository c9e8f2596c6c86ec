"""Benchmark: the documents handed to the person (issue 13), rendered by typst. No database: the renderer is pure.

    uv run python bench/run.py --only documents --keep

1. One synthesis document with a 20-step plan (two actions each), rendered 10 times: median and maximum.
2. 1,000 documents in a batch (synthèse, niveau 1, prise de recul in turn), in this process: resident memory
   after 100, 500 and 1,000 documents; flat means no growth with the number of documents.
3. The same through the service, with the database: `issue_synthesis` of a CEP whose plan has 20 steps (read the
   CEP, its plan, services and events, render, store the copy and its SHA-256, audit), in a base of its own created
   from the migrated template and dropped at the end (task `documents_issue`): median of 10, then 1,000 copies
   issued one after the other with the resident memory of the worker.
"""

import datetime
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import DB_PREFIX, PG_SERVER, Result, _psql, _template, benchmark, task  # noqa: E402

GOAL_S = 1.0
BATCH = 1000


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(rounds: int = 10, batch: int = BATCH) -> dict:
    from cep.plans.documents.render import render
    from scripts.document_samples import SAMPLES, synthesis

    on = datetime.date(2026, 12, 7)
    data = synthesis(steps=20)
    render("synthese", data, on=on)  # warm-up: typst loads the fonts once per process
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        pdf = render("synthese", data, on=on)
        times.append(time.perf_counter() - started)
    kinds = ["synthese", "niveau1", "prise_de_recul"]
    samples = {kind: SAMPLES[kind]() for kind in kinds}
    memory, started = {}, time.perf_counter()
    for n in range(1, batch + 1):
        kind = kinds[n % 3]
        render(kind, {**samples[kind], "person": f"Personne {n:04d}"}, on=on)
        if n in (100, batch // 2, batch):
            memory[n] = _rss_mib()
    return {
        "median_s": statistics.median(times),
        "max_s": max(times),
        "pages": pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages"),
        "size_kib": len(pdf) / 1024,
        "batch_s": time.perf_counter() - started,
        "memory": memory,
    }


@task("documents_issue")
def documents_issue(rounds: int = 10, batch: int = BATCH) -> dict:
    """Inside Django, on an empty migrated base: a CEP with a 20-step plan, then issue_synthesis timed."""
    import datetime as dt

    from cep.accounts.rights import Role
    from cep.enrolments.services import open_cep
    from cep.plans import services
    from cep.referentials import models as ref
    from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory

    today = dt.date.today()
    structure = StructureFactory(name="Mission locale du banc")
    counselor = UserFactory(username="banc_documents", role=Role.COUNSELOR, structure=structure)
    person = BeneficiaryFactory(structure=structure, referent=counselor)
    cep = open_cep(
        beneficiary=person,
        actor=counselor,
        orientation_source=ref.OrientationSource.objects.get(code="ma_structure_entree_directe"),
        entry_date=today - dt.timedelta(days=100),
        entry_phase=2,
        request_reason=ref.RequestReason.objects.get(code="reconversion"),
    )
    plan = services.create_plan(cep=cep, actor=counselor)
    services.update_plan(plan=plan, actor=counselor, project="Projet du banc", total_cost="6000")
    for n in range(20):
        step = services.add_step(plan=plan, actor=counselor, title=f"Étape {n + 1}", objective="Objectif")
        for k in range(2):
            services.add_action(step=step, actor=counselor, label=f"Action {k + 1}", who="La personne")
    services.add_training(plan=plan, actor=counselor, provider="AFPA", title="Formation", formacode="22454")
    services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="2500")
    services.issue_synthesis(cep=cep, actor=counselor)  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        document = services.issue_synthesis(cep=cep, actor=counselor)
        times.append(time.perf_counter() - started)
    from django.db import reset_queries

    memory, started = {}, time.perf_counter()
    for n in range(1, batch + 1):
        services.issue_synthesis(cep=cep, actor=counselor)
        reset_queries()  # the worker runs with DEBUG (config.settings.dev), which keeps every query and its bytes
        if n in (100, batch // 2, batch):
            memory[n] = _rss_mib()
    return {
        "median_s": statistics.median(times),
        "max_s": max(times),
        "size_kib": document.size / 1024,
        "batch_s": time.perf_counter() - started,
        "memory": memory,
    }


def _issue_in_own_base(ctx) -> dict:
    import json
    import os
    import subprocess

    name = f"{DB_PREFIX}_documents"
    _template(ctx)
    _psql(f'DROP DATABASE IF EXISTS "{name}"')
    _psql(f'CREATE DATABASE "{name}" TEMPLATE "{DB_PREFIX}_template"')
    try:
        env = {**os.environ, "DATABASE_URL": f"{PG_SERVER}/{name}", "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "run.py"), "--worker", "documents_issue", "--params", "{}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tâche documents_issue en échec :\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}"')


@benchmark(
    "documents",
    title="Documents remis : synthèse d'un plan de 20 étapes, 1 000 documents à la suite",
    goal="une synthèse ≤ 1 s ; mémoire stable sur 1 000 documents",
)
def documents_benchmark(ctx):
    ctx.log("documents : rendu typst…")
    out = measure()
    memory = out["memory"]
    first, last = memory[100], memory[BATCH]
    growth = last - first
    ctx.log("documents : issue_synthesis avec la base…")
    issued = _issue_in_own_base(ctx)
    issued["memory"] = {int(n): v for n, v in issued["memory"].items()}  # JSON keys are strings
    issued_growth = issued["memory"][BATCH] - issued["memory"][100]
    return [
        Result(
            "issue_synthesis avec la base, plan de 20 étapes (médiane de 10)",
            round(issued["median_s"], 3),
            "s",
            goal="≤ 1 s",
            ok=issued["median_s"] <= GOAL_S,
            note=f"lecture, rendu, copie stockée, audit ; max {issued['max_s']:.3f} s ; {issued['size_kib']:.0f} Kio",
        ),
        Result(
            f"{BATCH} copies remises à la suite (service et base)",
            round(issued["batch_s"], 1),
            "s",
            note=f"{issued['batch_s'] / BATCH * 1000:.0f} ms par copie",
        ),
        Result(
            "mémoire du processus après 1 000 copies remises moins après 100",
            round(issued_growth, 1),
            "Mio",
            goal="stable (≤ 20 Mio)",
            ok=issued_growth <= 20,
            note=" ; ".join(f"{n} copies : {v:.0f} Mio" for n, v in issued["memory"].items()),
        ),
        Result(
            "rendu seul : synthèse, plan de 20 étapes (médiane de 10)",
            round(out["median_s"], 3),
            "s",
            goal="≤ 1 s",
            ok=out["median_s"] <= GOAL_S,
            note=f"max {out['max_s']:.3f} s ; {out['pages']} pages, {out['size_kib']:.0f} Kio",
        ),
        Result(
            f"{BATCH} documents à la suite",
            round(out["batch_s"], 1),
            "s",
            note=f"{out['batch_s'] / BATCH * 1000:.0f} ms par document",
        ),
        Result(
            "mémoire résidente après 1 000 documents moins après 100",
            round(growth, 1),
            "Mio",
            goal="stable (≤ 20 Mio)",
            ok=growth <= 20,
            note=" ; ".join(f"{n} documents : {v:.0f} Mio" for n, v in memory.items()),
        ),
    ]
