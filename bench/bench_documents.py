"""Benchmark: the documents handed to the person (issue 13), rendered by typst. No database: the renderer is pure.

    uv run python bench/run.py --only documents --keep

1. One synthesis document with a 20-step plan (two actions each), rendered 10 times: median and maximum.
2. 1,000 documents in a batch (synthèse, niveau 1, prise de recul in turn), in this process: resident memory
   after 100, 500 and 1,000 documents; flat means no growth with the number of documents.
The database side of a real issue (about ten queries to read the CEP, its plan, services and events) is not in
these figures.
"""

import datetime
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import Result, benchmark  # noqa: E402

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
    return [
        Result(
            "synthèse, plan de 20 étapes (médiane de 10)",
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
