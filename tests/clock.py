"""The tests' « today »: the application's day (cep.common.dates.today, Europe/Paris), read when a test runs.

Never at import or collection: a module-level `TODAY = datetime.date.today()` is read before the first test and is
a day behind the application's once midnight passes in Paris during the run (23:00 UTC in winter, 22:00 UTC in
summer). Tests call today() where they need the day (or take the `today` fixture of tests/conftest.py, one value for
the whole test); tests/test_clock_guard.py refuses a module that reads the day at import, and today() refuses to be
called while pytest collects (tests/conftest.py sets `collecting`), which catches a parametrize list or a default
argument built from it.
"""

import datetime

# Bound once: a test that moves the application's day (monkeypatch of cep.common.dates.today, as the R9/R10 tests
# do) still reads the real day here, as the module-level constants it replaces did.
from cep.common.dates import today as _application_today

collecting = False


def today() -> datetime.date:
    """The application's today (Europe/Paris), at the moment of the call."""
    if collecting:
        raise RuntimeError(
            "tests.clock.today() read at collection: the day may change before the test runs (midnight in Paris); "
            "read it inside the test, a fixture or a lambda"
        )
    return _application_today()


def resolved(values: dict) -> dict:
    """`values` with each callable value replaced by its result: a parametrize list, built at collection, holds
    `lambda: today() + …` where it needs the day, and the test resolves it when it runs (the ids stay the same)."""
    return {key: value() if callable(value) else value for key, value in values.items()}
