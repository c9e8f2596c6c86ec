"""The suite does not depend on when it runs: no test module reads the day (or the time) when it is imported.

A module-level `TODAY = datetime.date.today()` is read at collection; once midnight passes in Paris during the run
(23:00 UTC in winter), it is a day behind the application's today (cep.common.dates.today, read when the code runs),
and the tests comparing the two failed. Tests read the day through tests/clock.py, inside the test, a fixture or a
lambda. Two guards: this scan of the sources (a clock read run at import: module level, class body, decorator,
default argument), and tests.clock.today() refusing to run during collection (which also catches a helper such as
tests/enrolments/conftest.py's days() called in a parametrize list).
"""

import ast
from pathlib import Path

import pytest

from tests import clock

ROOT = Path(__file__).resolve().parent.parent
# tests/, and the helpers of scripts/ and bench/ that tests import.
SCANNED = ("tests", "scripts", "bench")
READS_THE_CLOCK = {"today", "now", "utcnow", "localdate", "localtime"}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


class _ImportTime(ast.NodeVisitor):
    """Every clock read that runs when the module is imported: function and lambda bodies run later, their
    decorators and default arguments do not."""

    def __init__(self):
        self.found: list[tuple[int, str]] = []

    def visit_FunctionDef(self, node):
        for expression in (*node.decorator_list, *node.args.defaults, *filter(None, node.args.kw_defaults)):
            self.visit(expression)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        for expression in (*node.args.defaults, *filter(None, node.args.kw_defaults)):
            self.visit(expression)

    def visit_Call(self, node):
        if _name(node) in READS_THE_CLOCK:
            self.found.append((node.lineno, ast.unparse(node.func)))
        self.generic_visit(node)


def import_time_reads(source: str) -> list[tuple[int, str]]:
    """(line, callee) of every call reading the clock while the module is imported."""
    visitor = _ImportTime()
    visitor.visit(ast.parse(source))
    return visitor.found


def process_date_reads(source: str) -> list[int]:
    """Lines of `date.today()` anywhere: it reads the process's time zone, not the application's (TIME_ZONE)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "today"
        and ast.unparse(node.func.value) in ("date", "datetime.date", "dt.date")
    ]


def _sources(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT), path.read_text()


def test_no_module_reads_the_clock_at_import():
    found = [
        f"{path}:{line} {callee}()"
        for path, source in _sources(*SCANNED)
        for line, callee in import_time_reads(source)
    ]
    assert found == [], "read the day inside the test (tests/clock.py), not at import:\n" + "\n".join(found)


def test_tests_read_the_applications_day():
    found = [f"{path}:{line}" for path, source in _sources("tests") for line in process_date_reads(source)]
    assert found == [], "use tests.clock.today() (Europe/Paris), not date.today():\n" + "\n".join(found)


def test_the_application_reads_its_day_through_cep_common_dates():
    """One notion of the day in the product: cep.common.dates.today() (timezone.localdate, Europe/Paris), not the
    process's date, which only matches it because Django sets TZ."""
    found = [f"{path}:{line}" for path, source in _sources("cep", "web", "api") for line in process_date_reads(source)]
    assert found == [], "use cep.common.dates.today(), not date.today():\n" + "\n".join(found)


ACCEPTED = {
    "in a test": "def test_x():\n    assert today() == day\n",
    "in a fixture": "@pytest.fixture\ndef entry():\n    return today() - datetime.timedelta(days=100)\n",
    "in a factory's lazy default": "class F(Factory):\n    day = factory.LazyFunction(lambda: today())\n",
    "a lambda in a parametrize list": '@pytest.mark.parametrize("c", [{"on": lambda: today()}])\ndef test_x(c): ...\n',
    "a fixed date": "DAY = datetime.date(2026, 12, 7)\n",
}
REFUSED = {
    "a module constant": ("TODAY = datetime.date.today()\n", [(1, "datetime.date.today")]),
    "a module constant through the helper": ("ENTRY = today() - datetime.timedelta(days=100)\n", [(1, "today")]),
    "a parametrize list": (
        '@pytest.mark.parametrize("day", [timezone.localdate()])\ndef test_x(day):\n    pass\n',
        [(1, "timezone.localdate")],
    ),
    "a default argument": ("def book(at=timezone.now()):\n    pass\n", [(1, "timezone.now")]),
    "a class attribute": ("class F(Factory):\n    birth = date.today()\n", [(2, "date.today")]),
    "a lambda's default": ("make = lambda day=datetime.datetime.now(): day\n", [(1, "datetime.datetime.now")]),
    "inside a module-level expression": (
        "dates = st.dates(max_value=dates.today() + ONE_DAY)\n",
        [(1, "dates.today")],
    ),
}


@pytest.mark.parametrize("source", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_scan_accepts_reads_at_test_time(source):
    assert import_time_reads(source) == []


@pytest.mark.parametrize(("source", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_the_scan_refuses_reads_at_import(source, expected):
    assert import_time_reads(source) == expected


def test_the_scan_refuses_date_today_even_in_a_test():
    assert process_date_reads("def test_x():\n    assert datetime.date.today() == day\n") == [2]
    assert process_date_reads("def test_x():\n    assert today() == day and dates.today()\n") == []


def test_clock_today_refuses_to_be_read_during_collection(monkeypatch):
    monkeypatch.setattr(clock, "collecting", True)
    with pytest.raises(RuntimeError, match="at collection"):
        clock.today()


def test_clock_today_is_the_applications_and_ignores_a_moved_day(monkeypatch):
    import datetime

    from django.utils import timezone

    from cep.common import dates

    assert clock.today() == timezone.localdate()
    monkeypatch.setattr(dates, "today", lambda: datetime.date(2020, 1, 1))
    assert clock.today() == timezone.localdate()
