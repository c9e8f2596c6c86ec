"""The domain packages import one another in one direction only (docs/decisions.md, 2026-12-01).

Layering, lowest first: beneficiaries < events < offers < enrolments < appointments (rendez-vous book and record
events, and read whether a CEP is in progress). A package may import only the packages to its left; the lower
layers tell the upper ones what happened through their signals (cep/events/signals.py, cep/offers/signals.py),
received in cep/enrolments/receivers.py. Every import counts, the module-level ones and
those inside functions (a function-local import dodges a circular import at load time, not the cycle itself).
The two halves of reporting, the exports and the indicators, never import each other.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

CEP = Path(__file__).resolve().parent.parent / "cep"
LAYERS = ("beneficiaries", "events", "offers", "enrolments", "appointments")
REPORTING_HALVES = ("cep.reporting.exports", "cep.reporting.indicators")


def module_name(path: Path) -> str:
    parts = path.relative_to(CEP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of every module `source` imports, wherever the import statement stands.

    `from a.b import c` yields both a.b and a.b.c (c may be a module); relative imports are resolved against
    `module`; importlib.import_module("…") with a literal name counts too.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + (node.module.split(".") if node.module else []))
            else:
                target = node.module
            yield node.lineno, target
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{target}.{alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield node.lineno, first.value


def all_imports() -> Iterator[tuple[str, int, str, str]]:
    """(file, line, importing module, imported module) for every .py under cep/, migrations excepted."""
    for path in sorted(CEP.rglob("*.py")):
        if "migrations" in path.relative_to(CEP).parts:
            continue
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        for line, target in imported_modules(source, module, is_package=path.name == "__init__.py"):
            yield str(path.relative_to(CEP.parent)), line, module, target


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "cep" and parts[1] in LAYERS else None


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_collector_sees_function_local_relative_and_dynamic_imports():
    source = (
        "import cep.events.models\n"
        "from cep import offers\n"
        "def f():\n"
        "    from cep.enrolments.models import Cep\n"
        "    from ..events import services\n"
        "    from . import models\n"
        "    importlib.import_module('cep.beneficiaries.queries')\n"
    )
    found = {target for _, target in imported_modules(source, "cep.offers.services")}
    assert {
        "cep.events.models",
        "cep.offers",
        "cep.enrolments.models",
        "cep.events.services",
        "cep.offers.models",
        "cep.beneficiaries.queries",
    } <= found
    assert "cep.events" in {target for _, target in imported_modules("from .. import events", "cep.offers.x")}
    assert "cep.offers.models" in {
        target for _, target in imported_modules("from .models import Service", "cep.offers", is_package=True)
    }


def test_the_collector_walks_the_domain_packages():
    """A guard against a test that passes because it reads nothing: the known downward imports are seen."""
    seen = {(layer(module), layer(target)) for _, _, module, target in all_imports()}
    assert ("enrolments", "beneficiaries") in seen
    assert ("offers", "events") in seen


def test_domain_packages_import_only_lower_layers():
    """beneficiaries < events < offers < enrolments: a package imports only packages to its left."""
    upward: dict[tuple[str, int], str] = {}  # one message per import statement, naming the module it reads
    for path, line, module, target in all_imports():
        source, imported = layer(module), layer(target)
        if source is None or imported is None or source == imported:
            continue
        if LAYERS.index(imported) > LAYERS.index(source):
            allowed = ", ".join(LAYERS[: LAYERS.index(source)]) or "nothing"
            message = f"{path}:{line} ({source}) imports {target}; {source} may import only: {allowed}"
            upward[path, line] = min(upward.get((path, line), message), message, key=len)
    assert not upward, "Imports towards an upper layer:\n" + "\n".join(upward[key] for key in sorted(upward))


@pytest.mark.parametrize("half,other", [REPORTING_HALVES, tuple(reversed(REPORTING_HALVES))])
def test_reporting_exports_and_indicators_never_import_each_other(half, other):
    crossing = sorted(
        {
            f"{path}:{line} imports {target}"
            for path, line, module, target in all_imports()
            if within(module, half) and within(target, other)
        }
    )
    assert not crossing, f"{half} imports {other}:\n" + "\n".join(crossing)
