"""The benchmark registry: one function per benchmark, measured against a baseline in the same run.

A benchmark module is any `bench/bench_*.py`. It registers:

* `@benchmark(name, title=..., goal=...)` — a function `fn(ctx)` run by the orchestrator (no Django in this
  process); it returns a list of `Result`. It prepares databases with `ctx.database(size)` and runs measurements
  inside Django with `ctx.worker(size, task, **params)`.
* `@task(name)` — a function `fn(**params) -> dict` run in a worker process (`bench/run.py --worker`), with
  Django set up against the database of the requested size (DATABASE_URL).

Results are kept per benchmark in bench/results.json and docs/benchmarks.md is rendered from all of them, so a
run of `--only NAME` updates its own section and leaves the others' figures as they were.
"""

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "cep_bench")  # another prefix: two runs side by side


@dataclasses.dataclass
class Result:
    metric: str  # e.g. "p95 ouvrir un CEP (API)"
    value: float
    unit: str  # "ms", "s", "lignes"…
    size: int | None = None  # number of beneficiaries of the measured base
    baseline: float | None = None  # same metric on the baseline base, same run
    baseline_size: int | None = None
    goal: str = ""  # e.g. "ratio ≤ 1,5"
    ok: bool | None = None  # goal met?
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


@dataclasses.dataclass
class Benchmark:
    name: str
    title: str
    fn: Callable
    goal: str = ""
    default: bool = True  # run by `make bench` without --only


BENCHMARKS: dict[str, Benchmark] = {}
TASKS: dict[str, Callable] = {}


def benchmark(name: str, *, title: str, goal: str = "", default: bool = True):
    def register(fn):
        BENCHMARKS[name] = Benchmark(name=name, title=title, fn=fn, goal=goal, default=default)
        return fn

    return register


def task(name: str):
    def register(fn):
        TASKS[name] = fn
        return fn

    return register


class Context:
    """What a benchmark function gets: sizes, databases, workers, and a log."""

    def __init__(self, *, size: int, baseline_size: int, fresh: bool, requests: int, keep: bool):
        self.size, self.baseline_size, self.fresh, self.requests, self.keep = (
            size,
            baseline_size,
            fresh,
            requests,
            keep,
        )
        self.prepared: dict[int, dict] = {}  # size -> {"url", "generation_s", "output"}

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def url(self, size: int) -> str:
        return f"{PG_SERVER}/{DB_PREFIX}_{size}"

    def database(self, size: int) -> dict:
        """A migrated base with `size` generated beneficiaries (created once per run, timed)."""
        if size in self.prepared:
            return self.prepared[size]
        name = f"{DB_PREFIX}_{size}"
        info = {"url": self.url(size), "generation_s": None, "output": ""}
        if not self.fresh and _count(name) == size:
            self.log(f"base {name} déjà chargée ({size} bénéficiaires) : réutilisée")
        else:
            _template(self)
            _psql(f'DROP DATABASE IF EXISTS "{name}"')
            _psql(f'CREATE DATABASE "{name}" TEMPLATE "{DB_PREFIX}_template"')
            self.log(f"génération de {size} bénéficiaires dans {name}…")
            started = time.monotonic()
            out = manage(info["url"], "generate_demo", "--beneficiaries", str(size), "--no-progress", "-v2")
            info["generation_s"] = time.monotonic() - started
            info["output"] = out.strip().splitlines()[-2:] if out.strip() else []
            self.log(f"… {info['generation_s']:.1f} s : {' '.join(info['output'])}")
        manage(info["url"], "demo_accounts")
        self.prepared[size] = info
        return info

    def worker(self, size: int, task_name: str, **params) -> dict:
        env = {**os.environ, "DATABASE_URL": self.url(size), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "run.py"), "--worker", task_name, "--params", json.dumps(params)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tâche {task_name} en échec :\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def drop(self) -> None:
        names = [f"{DB_PREFIX}_{size}" for size in self.prepared] + [f"{DB_PREFIX}_template"]
        for name in names:
            try:
                _psql(f'DROP DATABASE IF EXISTS "{name}"')
                self.log(f"base {name} supprimée")
            except Exception as exc:  # e.g. another session uses it: say so, the results are already written
                self.log(f"base {name} NON supprimée ({str(exc).splitlines()[0]}) : DROP DATABASE à faire à la main")


def manage(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} en échec :\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


_TEMPLATE_READY = False


def _template(ctx: Context) -> None:
    """A freshly migrated template base: every generated base starts from the current migrations."""
    global _TEMPLATE_READY
    if _TEMPLATE_READY:
        return
    name = f"{DB_PREFIX}_template"
    _psql(f'DROP DATABASE IF EXISTS "{name}"')
    _psql(f'CREATE DATABASE "{name}"')
    ctx.log("migration de la base modèle…")
    manage(f"{PG_SERVER}/{name}", "migrate", "--noinput", "-v0")
    _TEMPLATE_READY = True


def _psql(sql: str, db: str = "postgres") -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{db}", autocommit=True) as conn:
        # A DROP DATABASE can wait forever behind another session's stuck backend: give up after 2 minutes.
        conn.execute("SET statement_timeout = '120s'")
        cur = conn.execute(sql)
        return cur.fetchone() if cur.description else None


def _count(name: str) -> int | None:
    try:
        row = _psql("SELECT count(*) FROM beneficiaries_beneficiary", db=name)
    except Exception:
        return None
    return row[0] if row else None


def save_standalone(name: str, script: str, results: list, notes: list[str], load_start=None) -> None:
    """Record a benchmark run alone (`python bench/<script> --save`) in results.json and render the doc."""
    import datetime
    import json

    import run

    data = json.loads(run.RESULTS.read_text()) if run.RESULTS.exists() else {}
    info = run.machine()
    info["load_end"] = [round(x, 2) for x in os.getloadavg()]
    if load_start is not None:
        info["load_start"] = load_start
    bench = run.BENCHMARKS[name]
    data[name] = {
        "title": bench.title,
        "goal": bench.goal,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
        "command": f"DATABASE_URL=…/{os.environ['DATABASE_URL'].rsplit('/', 1)[-1]} "
        f"uv run python bench/{script} --save",
        "machine": dict(info),
        "results": [r.__dict__ for r in results],
        "notes": notes,
    }
    run.RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    run.render()


def main_standalone(bench_fn, results_of, save, example_db: str) -> None:
    """Entry point shared by the benchmarks that can run alone against DATABASE_URL."""
    import json
    import sys

    if not os.environ.get("DATABASE_URL"):
        sys.exit(f"DATABASE_URL manquant : la base mesurée (par exemple …/{example_db}).")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    out = bench_fn()
    print(json.dumps(out, indent=2, default=str))
    from cep.beneficiaries.models import Beneficiary

    size = Beneficiary.objects.count()
    for result in results_of(out, size):
        flag = "" if result.ok is None else (" ✓" if result.ok else " ✗")
        ratio = f" (× {result.ratio:.1f})" if result.ratio else ""
        print(f"{result.metric} : {result.value:.3f} {result.unit}{ratio}{flag} {result.goal} {result.note}")
    if "--save" in sys.argv:
        save(out, size)
