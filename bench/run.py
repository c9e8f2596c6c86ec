"""Benchmarks on demand (`make bench`), never in `make test`. Results: bench/results.json and docs/benchmarks.md.

    uv run python bench/run.py                         # every default benchmark, N = 1,000,000, baseline 10,000
    uv run python bench/run.py --only api_cep --size 100000
    uv run python bench/run.py --list

Each benchmark is a function registered in a `bench/bench_*.py` module (see bench/registry.py). Measured
figures are compared with the same measure on a baseline base in the same run, because the machine is shared
and noisy: ratios hold better than absolute numbers.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import registry  # noqa: E402
from registry import BENCHMARKS, TASKS, Context, Result  # noqa: E402

RESULTS = HERE / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"


def load_modules() -> None:
    for path in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(path.stem)


def run_worker(name: str, params: str) -> None:
    """Inside Django, against DATABASE_URL: run one task and print its JSON result on the last line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    result = TASKS[name](**json.loads(params or "{}"))
    print(json.dumps(result, default=str))


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["ram_gib"] = round(int(mem) / 1024 / 1024, 1)
        model = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        info["cpu"] = model[0].split(":", 1)[1].strip() if model else ""
    except OSError:
        pass
    info["load_start"] = [round(x, 2) for x in os.getloadavg()]
    try:
        import django
        import psycopg

        info["django"] = django.get_version()
        info["psycopg"] = psycopg.__version__
        settings = registry._psql(
            "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings "
            "WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'max_wal_size', "
            "'max_parallel_workers_per_gather')"
        )[0]
        info["postgresql"] = registry._psql("SHOW server_version")[0] + f" ({settings})"
    except Exception as exc:  # the report says what could not be read
        info["postgresql"] = f"? ({exc})"
    return info


def render() -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    out = [
        "# Mesures de performance",
        "",
        "Produites par `make bench` (`bench/run.py`, jamais dans `make test`) ; ce fichier est régénéré à partir de",
        "`bench/results.json` à chaque mesure. La machine est partagée et bruitée : chaque chiffre est comparé à la",
        "même mesure sur une base de référence (10 000 bénéficiaires par défaut) **dans la même exécution**, et le",
        "rapport N / référence compte plus que la valeur absolue. Ajouter une mesure : une fonction",
        "`@benchmark(...)` dans un module `bench/bench_*.py` (voir `bench/registry.py`), puis",
        "`uv run python bench/run.py --only NOM`.",
        "",
    ]
    for name, entry in data.items():
        m = entry["machine"]
        out += [
            f"## {entry['title']} (`{name}`)",
            "",
            f"- Date : {entry['date']} ; commande : `{entry['command']}`",
            f"- Machine : {m.get('nproc')} cœurs ({m.get('cpu', '?')}), {m.get('ram_gib', '?')} Gio de RAM, "
            f"charge moyenne {m.get('load_start')} au début, {m.get('load_end')} à la fin",
            f"- Versions : Python {m.get('python')}, Django {m.get('django')}, psycopg {m.get('psycopg')}, "
            f"PostgreSQL {m.get('postgresql')}",
            f"- Objectif : {entry['goal']}" if entry.get("goal") else "",
            "",
            "| Mesure | N | Valeur | Référence | Rapport | Objectif | Atteint | Remarque |",
            "| --- | ---: | ---: | ---: | ---: | --- | :---: | --- |",
        ]
        for r in entry["results"]:
            res = Result(**r)
            ratio = f"{res.ratio:.2f}".replace(".", ",") if res.ratio is not None else ""
            ok = {True: "oui", False: "**non**", None: ""}[res.ok]
            base = f"{_fmt(res.baseline)} ({_n(res.baseline_size)})" if res.baseline is not None else ""
            out.append(
                f"| {res.metric} | {_n(res.size)} | {_fmt(res.value)} {res.unit} | {base} | {ratio} | {res.goal} "
                f"| {ok} | {res.note} |"
            )
        for note in entry.get("notes", []):
            out += ["", note]
        out.append("")
    import mutation  # its own section, from bench/mutation_results.json (`make mutation`)

    out += mutation.section()
    extra = HERE / "NOTES.md"
    if extra.exists():
        out += [extra.read_text().strip(), ""]
    DOC.write_text("\n".join(line for line in out if line is not None) + "\n")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return (
        f"{value:,.1f}".replace(",", "\u202f").replace(".", ",") if value >= 10 else f"{value:.2f}".replace(".", ",")
    )


def _n(size) -> str:
    return f"{size:,}".replace(",", "\u202f") if size else ""


def main() -> int:
    load_modules()
    parser = argparse.ArgumentParser(description="Mesures de performance du SI CEP (PostgreSQL).")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="une mesure (répétable)")
    parser.add_argument("--size", type=int, default=1_000_000, help="bénéficiaires de la grande base")
    parser.add_argument("--baseline-size", type=int, default=10_000, help="bénéficiaires de la base de référence")
    parser.add_argument("--requests", type=int, default=200, help="appels mesurés par opération et par base")
    parser.add_argument("--fresh", action="store_true", help="régénérer les bases même si elles existent")
    parser.add_argument("--keep", action="store_true", help="garder les bases cep_bench_* à la fin")
    parser.add_argument("--list", action="store_true", help="lister les mesures")
    parser.add_argument("--render", action="store_true", help="régénérer docs/benchmarks.md seulement")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.params)
        return 0
    if args.list:
        for b in BENCHMARKS.values():
            print(f"{b.name:15} {b.title}{'' if b.default else ' (sur demande)'}")
        return 0
    if args.render:
        render()
        return 0
    names = args.only or [b.name for b in BENCHMARKS.values() if b.default]
    ctx = Context(
        size=args.size, baseline_size=args.baseline_size, fresh=args.fresh, requests=args.requests, keep=args.keep
    )
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    info = machine()
    command = "uv run python bench/run.py " + " ".join(sys.argv[1:])
    failed = []
    try:
        for name in names:
            bench = BENCHMARKS[name]
            ctx.log(f"== {name} : {bench.title}")
            results = bench.fn(ctx)
            for r in results:
                ctx.log(f"   {r.metric} : {_fmt(r.value)} {r.unit}" + (f" (rapport {r.ratio:.2f})" if r.ratio else ""))
                if r.ok is False:
                    failed.append(f"{name}: {r.metric}")
            info["load_end"] = [round(x, 2) for x in os.getloadavg()]
            notes = data.get(name, {}).get("notes", [])  # a standalone save's method notes outlive a rerun
            data[name] = {
                "title": bench.title,
                "goal": bench.goal,
                "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
                "command": command.strip(),
                "machine": dict(info),
                "results": [r.__dict__ for r in results],
                **({"notes": notes} if notes else {}),
            }
            RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            render()
    finally:
        if not args.keep:
            ctx.drop()
    if failed:
        print("Objectifs non atteints : " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
