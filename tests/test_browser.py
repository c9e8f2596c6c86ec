"""tests/browser.py: `sync_playwright()` closes the database connections opened inside it before Playwright stops.
Once it has stopped, Django no longer hands them out in this thread (see its docstring), so nothing else would:
one left open kept the test database from being dropped at the end of the run."""

import pytest
from django.db import connections

from tests.browser import sync_playwright


@pytest.mark.django_db
def test_a_connection_opened_inside_playwright_is_closed_when_it_stops(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs: the ORM must be let in
    with sync_playwright():
        inside = connections["default"]
        with inside.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert inside.connection is not None
    assert inside.connection is None
