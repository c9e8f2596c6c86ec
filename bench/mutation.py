"""Mutation testing of the lifecycle core (`make mutation`): a small AST mutator, one mutant at a time.

    uv run python bench/mutation.py                                  # every target, score into docs/benchmarks.md
    uv run python bench/mutation.py --file cep/common/access.py      # one target (repeatable)
    uv run python bench/mutation.py --list                           # the mutants, without running anything
    uv run python bench/mutation.py --render                         # docs/benchmarks.md from the last results

Each mutant changes one site of one target file: a comparison flipped (`<` ↔ `<=`, `==` ↔ `!=`, `in` ↔ `not in`…),
an integer constant moved by ±1, `and` ↔ `or`, a `not` removed, `True` ↔ `False`, an element removed from a set
literal, a statement replaced by `pass`, a returned value replaced by `None`. The tree is copied once into a
temporary directory; a mutant is written into the copy, the tests that cover that file run there
(`pytest -x -q -p no:randomly --reuse-db`, with a timeout), and the file is restored before the next mutant. The
checkout itself is never written, except for the results (bench/mutation_results.json, docs/benchmarks.md).

A mutant is killed when its tests fail (or time out), survives when they pass. Mutants that no test can kill
because they do not change behaviour are listed, with the reason, in bench/mutation_equivalents.toml: they are
left out of the score and shown apart in the report.
"""

import argparse
import ast
import copy
import dataclasses
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "mutation_results.json"
EQUIVALENTS = HERE / "mutation_equivalents.toml"
GOAL = 0.95
TIMEOUT = 90  # seconds per mutant (the unmutated run of the biggest selection takes ~30 s on the loaded machine)

# Slow property-based tests of other modules (cep/enrolments/clock.py): left out of the per-mutant runs.
DESELECT = ["tests/enrolments/test_clock.py::test_r9_clock_equals_the_latest_manifestation_after_any_edits"]
# cep/enrolments/clock.py has its own tests (tests/enrolments/test_clock.py); what services.py does with the clock
# (opening, reopening) is in test_boundaries.py, so test_clock.py stays out of the runs of services.py.

# File under mutation -> the tests that cover it, fastest and most telling first (pytest stops at the first failure).
TARGETS: dict[str, list[str]] = {
    "cep/enrolments/workflow.py": [
        "tests/enrolments/test_rules.py",
        "tests/enrolments/test_boundaries.py",
        "tests/enrolments/test_auto_close.py",
    ],
    "cep/enrolments/services.py": [
        "tests/enrolments/test_rules_on_values.py",
        "tests/enrolments/test_rules.py",
        "tests/enrolments/test_boundaries.py",
        "tests/enrolments/test_auto_close.py",
        # The locks (reopen_cep's dossier lock): threads that commit, ~10 s; they put the referentials back.
        "tests/enrolments/test_concurrency.py",
    ],
    "cep/beneficiaries/eligibility.py": [
        "tests/beneficiaries/test_eligibility.py",
        "tests/enrolments/test_rules.py",
    ],
    "cep/accounts/rights.py": [
        "tests/accounts/test_rights.py",
        "tests/common/test_access.py",
        "tests/accounts/test_grants.py",
    ],
    "cep/common/access.py": [
        "tests/common/test_access.py",
        "tests/accounts/test_rights.py",
        "tests/enrolments/test_boundaries.py",
    ],
}

_FLIPS = {
    ast.Lt: (ast.LtE, ast.GtE),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
}
_OPS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


@dataclasses.dataclass
class Mutant:
    file: str
    line: int
    scope: str  # enclosing function or class (qualified), "<module>" at top level
    kind: str  # operator name
    before: str  # the original source of the site
    after: str  # its replacement, on one line and shortened (for the report)
    start: tuple[int, int]  # (line, utf-8 column) of the replaced span
    end: tuple[int, int]
    replacement: str = ""  # the text written in place of the span
    occurrence: int = 0  # among mutants with the same key

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the file (no line number): file, scope, site and change."""
        suffix = f" #{self.occurrence + 1}" if self.occurrence else ""
        return f"{self.file}::{self.scope}: {self.before} → {self.after}{suffix}"


def _one_line(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Collector(ast.NodeVisitor):
    def __init__(self, file: str, source: str):
        self.file, self.source, self.scope, self.mutants = file, source, [], []
        self.in_function = 0

    # Scopes ------------------------------------------------------------------------------------------------------
    def _scoped(self, node, function: bool):
        self.scope.append(node.name)
        self.in_function += function
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring is not code
        for stmt in body:
            self.visit(stmt)
        self.in_function -= function
        self.scope.pop()

    def visit_FunctionDef(self, node):
        self._scoped(node, True)  # decorators, defaults and annotations are not mutated

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._scoped(node, False)

    def visit_JoinedStr(self, node):
        return  # French messages: a mutated message is not a behaviour

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)

    def visit_Import(self, node):
        return

    visit_ImportFrom = visit_Import

    # Helpers -----------------------------------------------------------------------------------------------------
    def _seg(self, node) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def _add(self, node, kind: str, replacement: str, before: str | None = None, after: str | None = None):
        self.mutants.append(
            Mutant(
                file=self.file,
                line=node.lineno,
                scope=".".join(self.scope) or "<module>",
                kind=kind,
                before=_one_line(before or self._seg(node)),
                after=_one_line(after or replacement),
                replacement=replacement,
                start=(node.lineno, node.col_offset),
                end=(node.end_lineno, node.end_col_offset),
            )
        )

    # Statements --------------------------------------------------------------------------------------------------
    def generic_visit(self, node):
        if isinstance(node, ast.stmt) and self.in_function and not isinstance(node, ast.Pass):
            self._add(node, "statement → pass", "pass", before=self._seg(node).splitlines()[0])
        super().generic_visit(node)

    def visit_Return(self, node):
        if self.in_function:
            if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
                self._add(node, "return → None", "return None")
            else:
                self._add(node, "statement → pass", "pass")
        if node.value is not None:
            self.visit(node.value)

    # Expressions -------------------------------------------------------------------------------------------------
    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            for new in _FLIPS.get(type(op), ()):
                mutated = copy.deepcopy(node)
                mutated.ops[i] = new()
                self._add(node, f"{_OPS[type(op)]} → {_OPS[new]}", f"({ast.unparse(mutated)})")
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        mutated = copy.deepcopy(node)
        mutated.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self._add(node, "and ↔ or", f"({ast.unparse(mutated)})")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Not):
            self._add(node, "not removed", f"({ast.unparse(node.operand)})")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, bool):
            self._add(node, "True ↔ False", repr(not node.value))
        elif isinstance(node.value, int):
            self._add(node, "integer + 1", repr(node.value + 1))
            self._add(node, "integer - 1", repr(node.value - 1))

    def visit_Set(self, node):
        names = [ast.unparse(e) for e in node.elts]
        if names and all(n.startswith("Right.") for n in names):
            # A right given by mistake (an observer holding a personal-data right…): each missing right added.
            for right in _rights():
                if f"Right.{right}" not in names:
                    replacement = "{" + ", ".join([*names, f"Right.{right}"]) + "}"
                    self._add(
                        node,
                        "set element added",
                        replacement,
                        before=f"{{{names[0]}, …}}",
                        after=f"{{…, Right.{right}}}",
                    )
        if len(node.elts) > 1:
            for i, elt in enumerate(node.elts):
                rest = node.elts[:i] + node.elts[i + 1 :]
                self._add(
                    node,
                    "set element removed",
                    "{" + ", ".join(self._seg(e) for e in rest) + "}",
                    before=f"{{…, {self._seg(elt)}, …}}",
                    after="{…}",
                )
        self.generic_visit(node)


def _rights() -> list[str]:
    """The members of cep.accounts.rights.Right, read from its source."""
    tree = ast.parse((ROOT / "cep/accounts/rights.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Right")
    return [t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]


def collect(file: str) -> list[Mutant]:
    source = (ROOT / file).read_text()
    collector = _Collector(file, source)
    collector.visit(ast.parse(source))
    seen: dict[str, int] = {}
    for m in collector.mutants:
        base = m.key
        m.occurrence = seen.get(base, 0)
        seen[base] = m.occurrence + 1
    return collector.mutants


def apply(source: str, mutant: Mutant) -> str:
    """The source with the mutant's span replaced (columns are UTF-8 byte offsets, as the AST gives them)."""
    data = source.encode()
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    a = starts[mutant.start[0] - 1] + mutant.start[1]
    b = starts[mutant.end[0] - 1] + mutant.end[1]
    out = (data[:a] + mutant.replacement.encode() + data[b:]).decode()
    ast.parse(out)  # a mutant must still be Python
    return out


def load_equivalents() -> dict[str, str]:
    if not EQUIVALENTS.exists():
        return {}
    data = tomllib.loads(EQUIVALENTS.read_text())
    return {e["mutant"]: e["reason"] for e in data.get("equivalent", [])}


# Running -------------------------------------------------------------------------------------------------------
def _copy_tree() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="cep-mutation-"))
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in files:
        src = ROOT / name
        if src.is_file():
            dst = tmp / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return tmp


def _write(path: Path, text: str) -> None:
    """Write a module of the copy and drop its bytecode: a mutant is never run from a stale .pyc (the other
    modules keep theirs, compiled once by the unmutated run)."""
    path.write_text(text)
    for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
        pyc.unlink()


_PRELOAD = (
    "django",
    "django.test",
    "django.db.models",
    "django.core.management",
    "django.urls",
    "django.forms",
    "django.template",
    "hypothesis",
    "factory",
    "faker",
    "psycopg",
    "pydantic",
    "pytest",
    "pytest_django.plugin",
    "_hypothesis_pytestplugin",
)


def preload() -> None:
    """Import the third-party libraries once in this process: each mutant's run is a fork of it (a second or two
    saved per mutant). Nothing of the project is imported here, so a fork imports the mutated code fresh."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)


_CHILD = [0]  # the pid of the run in progress (its own process group), stopped with this process


def _stop_child() -> None:
    if _CHILD[0]:
        try:
            os.killpg(_CHILD[0], signal.SIGKILL)
            os.waitpid(_CHILD[0], 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        _CHILD[0] = 0


def _pytest(tree: Path, tests: list[str], timeout: int, db_ready: bool = True) -> tuple[str, float, str]:
    """("passed" | "failed" | "timeout", seconds, where to read the output) for one run in a forked child."""
    present = [t for t in tests if (tree / t).exists()]
    if not present:
        raise SystemExit(f"Aucun des tests {tests} n'existe : rien à lancer.")
    # Only the plugins these tests use (no randomly, xdist, playwright, schemathesis…), the test database as the
    # unmutated run left it (bench/mutation_plugin.py), and pytest stops at the first failure.
    args = ["-x", "-q", "-p", "pytest_django.plugin", "-p", "_hypothesis_pytestplugin", "-p", "mutation_plugin"]
    args += ["-p", "no:cacheprovider", "--reuse-db", *present, *(f"--deselect={d}" for d in DESELECT)]
    log = tree / "mutation-run.log"
    started = time.monotonic()
    pid = os.fork()
    if pid:
        _CHILD[0] = pid
    if pid == 0:  # the child: a fresh session in the copy, its output in the copy's log
        code = 3
        try:
            os.setsid()
            os.chdir(tree)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.path[:] = [str(tree), str(tree / "bench")] + [p for p in sys.path if p not in (str(ROOT), str(HERE))]
            os.environ.update(
                PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                CEP_MUTATION_TREE=str(tree),
                CEP_MUTATION_DB_READY=str(int(db_ready)),
            )
            import pytest

            code = int(pytest.main(args))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _CHILD[0] = 0
            code = os.waitstatus_to_exitcode(status)
            return ("passed" if code == 0 else "failed"), time.monotonic() - started, str(log)
        if time.monotonic() - started > timeout:
            _stop_child()  # this run's own process group only
            return "timeout", time.monotonic() - started, str(log)
        time.sleep(0.05)


def _result(
    done: list[dict], all_mutants: list[Mutant], previous: dict | None, tests: list[str], started: float, partial: bool
) -> dict:
    """One file's entry of bench/mutation_results.json. With --survivors (`previous`: the mutants not run again),
    their previous outcome stands."""
    if previous is not None:
        rerun = {e["key"]: e for e in done}
        done = [e for e in (rerun.get(m.key) or previous.get(m.key) for m in all_mutants) if e is not None]
    entry = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
        "seconds": round(time.monotonic() - started),
        "tests": tests,
        "mutants": done,
    }
    if previous and any(m.key in previous for m in all_mutants):
        entry["survivors_only"] = True  # the date and duration are those of the rerun of the survivors
    if partial:
        entry["total"] = len(all_mutants)  # the run stopped before the end of the file: the count says so
    return entry


def run(files: list[str], timeout: int, log, save, only: dict[str, dict] | None = None) -> dict:
    # Stopped (Ctrl-C, kill): the finally below still removes the copy, and the checkout was never touched.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    preload()
    tree = _copy_tree()
    report: dict = {}
    try:
        for file in files:
            tests = TARGETS[file]
            original = (tree / file).read_text()
            mutants = collect(file)
            if only is not None:  # --survivors: the previous run's outcome stands for the others
                mutants = [m for m in mutants if m.key not in only.get(file, {})]
                if not mutants:
                    log(f"== {file} : aucun survivant à relancer")
                    continue
            status, seconds, log_path = _pytest(tree, tests, timeout * 2, db_ready=False)
            if status != "passed":
                tail = "\n".join(Path(log_path).read_text().splitlines()[-15:])
                raise SystemExit(f"Les tests de {file} échouent sans mutation :\n{tail}")
            # The same run as a mutant's (database as left, no migration check) must pass too, or every mutant
            # would look killed.
            status, _, log_path = _pytest(tree, tests, timeout * 2)
            if status != "passed":
                tail = "\n".join(Path(log_path).read_text().splitlines()[-15:])
                raise SystemExit(f"Les tests de {file} échouent sans mutation (base réutilisée) :\n{tail}")
            log(f"== {file} : tests sans mutation {seconds:.1f} s")
            entries = []
            started = time.monotonic()
            previous = None if only is None else only.get(file, {})
            all_mutants = collect(file)
            for i, mutant in enumerate(mutants, 1):
                _write(tree / file, apply(original, mutant))
                try:
                    status, seconds, _ = _pytest(tree, tests, timeout)
                finally:
                    _write(tree / file, original)
                outcome = "survived" if status == "passed" else ("timeout" if status == "timeout" else "killed")
                log(f"   [{i}/{len(mutants)}] {outcome:8} {seconds:5.1f} s  l.{mutant.line} {mutant.key}")
                entries.append({"key": mutant.key, "line": mutant.line, "kind": mutant.kind, "outcome": outcome})
                if i % 10 == 0 and i < len(mutants):
                    # A run stopped at the deadline keeps its figures so far.
                    save(file, _result(entries, all_mutants, previous, tests, started, partial=True))
            report[file] = _result(entries, all_mutants, previous, tests, started, partial=False)
            save(file, report[file])  # each file's result is kept as soon as it is known
    finally:
        _stop_child()  # a stopped run leaves no pytest behind
        shutil.rmtree(tree, ignore_errors=True)
    return report


# Report ----------------------------------------------------------------------------------------------------------
def score(entries: list[dict], equivalents: dict[str, str]) -> tuple[int, int, int, list[dict]]:
    """(killed, counted, equivalent, survivors): equivalent mutants are out of the count."""
    counted = [e for e in entries if e["key"] not in equivalents]
    killed = sum(e["outcome"] != "survived" for e in counted)
    survivors = [e for e in counted if e["outcome"] == "survived"]
    return killed, len(counted), len(entries) - len(counted), survivors


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %".replace(".", ",") if b else "—"


def section() -> list[str]:
    """The « Tests de mutation » section of docs/benchmarks.md (rendered by bench/run.py with the others)."""
    if not RESULTS.exists():
        return []
    data = json.loads(RESULTS.read_text())
    equivalents = load_equivalents()
    out = [
        "## Tests de mutation du cœur du cycle de vie (`make mutation`)",
        "",
        "Produit par `make mutation` (`bench/mutation.py`, `nice -n 10`) : chaque mutant change un seul endroit",
        "d'un fichier (comparaison inversée, borne déplacée de 1, `and` ↔ `or`, `not` retiré, `True` ↔ `False`,",
        "élément retiré d'un ensemble ou droit ajouté, instruction remplacée par `pass`, valeur renvoyée remplacée",
        "par `None`) ; seuls les tests qui couvrent ce fichier tournent (`pytest -x`). Les mutants équivalents (aucun",
        "comportement changé) sont expliqués dans `bench/mutation_equivalents.toml` et sortis du score. Objectif :",
        "≥ 95 % de mutants tués.",
        "",
        "| Fichier | Date | Durée | Mutants | Équivalents | Tués | Survivants | Score | Atteint |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    total_killed = total_counted = total_eq = 0
    survivors_all, equivalent_seen = [], []
    for file, entry in data.items():
        killed, counted, eq, survivors = score(entry["mutants"], equivalents)
        total_killed, total_counted, total_eq = total_killed + killed, total_counted + counted, total_eq + eq
        survivors_all += [(file, s) for s in survivors]
        equivalent_seen += [e for e in entry["mutants"] if e["key"] in equivalents]
        ok = "oui" if counted and killed / counted >= GOAL else "**non**"
        if "total" in entry:  # a run stopped before the end of the file
            ok = f"partiel ({len(entry['mutants'])} mutants passés sur {entry['total']})"
        when = entry["date"] + (" (survivants relancés)" if entry.get("survivors_only") else "")
        out.append(
            f"| `{file}` | {when} | {entry['seconds']} s | {len(entry['mutants'])} | {eq} | {killed} "
            f"| {len(survivors)} | {_pct(killed, counted)} | {ok} |"
        )
    ok = "oui" if total_counted and total_killed / total_counted >= GOAL else "**non**"
    out.append(
        f"| **Ensemble** | | | {total_counted + total_eq} | {total_eq} | {total_killed} "
        f"| {total_counted - total_killed} | {_pct(total_killed, total_counted)} | {ok} |"
    )
    out += [
        "",
        "« survivants relancés » : après l'ajout de tests, seuls les survivants du passage complet précédent du même",
        "fichier ont été relancés (`--survivors`) ; la date et la durée sont celles de ce second passage, les autres",
        "résultats viennent du passage complet (un mutant tué le reste : les tests ne font que s'ajouter).",
        "",
        "Tests lancés par fichier :",
        "",
    ]
    out += [f"- `{file}` : {', '.join(f'`{t}`' for t in entry['tests'])}" for file, entry in data.items()]
    out += ["", "### Mutants survivants", ""]
    out += [f"- l. {s['line']} `{s['key']}`" for _, s in survivors_all] or ["Aucun."]
    out += ["", "### Mutants équivalents (hors score)", ""]
    out += [f"- l. {e['line']} `{e['key']}` : {equivalents[e['key']]}" for e in equivalent_seen] or ["Aucun."]
    out.append("")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="Tests de mutation du cœur du cycle de vie du CEP.")
    parser.add_argument("--file", action="append", choices=sorted(TARGETS), help="un fichier (répétable)")
    parser.add_argument("--list", action="store_true", help="lister les mutants sans rien lancer")
    parser.add_argument("--render", action="store_true", help="régénérer docs/benchmarks.md seulement")
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="relancer seulement les survivants du dernier passage (les tués le restent : les tests s'ajoutent)",
    )
    parser.add_argument("--timeout", type=int, default=TIMEOUT, help="secondes par mutant")
    args = parser.parse_args()
    files = args.file or list(TARGETS)
    if args.list:
        for file in files:
            for m in collect(file):
                print(f"l.{m.line:<4} {m.key}")
        return 0
    sys.path[:0] = [str(HERE)]
    import run as bench_run

    if not args.render:
        if not os.environ.get("DATABASE_URL"):
            sys.exit("DATABASE_URL manquant (make mutation le fournit).")
        log = lambda message: print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)  # noqa: E731
        data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        only = None
        if args.survivors:  # keys of the mutants NOT to rerun (killed last time), with their entries
            only = {
                f: {e["key"]: e for e in data[f]["mutants"] if e["outcome"] != "survived"} for f in files if f in data
            }

        def save(file: str, entry: dict) -> None:
            data[file] = entry
            ordered = {f: data[f] for f in TARGETS if f in data}  # the report in the targets' order
            RESULTS.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n")
            bench_run.render()

        report = run(files, args.timeout, log, save, only)
        equivalents = load_equivalents()
        for file, entry in report.items():
            killed, counted, eq, survivors = score(entry["mutants"], equivalents)
            print(f"{file} : {killed}/{counted} tués ({_pct(killed, counted)}), {eq} équivalents")
            for s in survivors:
                print(f"   survivant l.{s['line']} {s['key']}")
    bench_run.render()
    return 0


if __name__ == "__main__":
    sys.exit(main())
