"""One way to start the browser of the browser tests: Debian's chromium (never a downloaded build), in French.

`locale="fr-FR"` alone changes `navigator.language` but not how chromium draws date fields: that follows the
process's LANG and the French resources of the package chromium-l10n. With both, a date field reads « 14/05/2026 »
and a month field « mai 2026 », as users in France see them (and the screenshots of the user guide show).

Every browser test starts Playwright through `sync_playwright()` below, which closes on its way out the database
connections opened inside it.
"""

import contextlib
import os

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=fr-FR",
]
ENV = {**os.environ, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"}
VIEWPORT = {"width": 1280, "height": 900}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS, env=ENV)


def new_context(browser, **options):
    options.setdefault("viewport", VIEWPORT)
    return browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)


@contextlib.contextmanager
def sync_playwright():
    """Playwright's `sync_playwright()`, which closes, before Playwright stops, the database connections that the
    code inside it opened.

    While Playwright's sync API is started, its asyncio loop counts as running in this thread (its dispatcher
    greenlet runs it), and Django, seeing a running loop, keeps this thread's connections apart, in a context
    variable instead of the thread's own storage (asgiref's thread-critical `Local`). Once Playwright has stopped,
    those connections are out of reach: a transactional test's teardown closes the connections it sees, not them,
    and one left open kept pytest-django from dropping the test database at the end of the run (« database
    "test_…" is being accessed by other users »). The connections opened before Playwright started stay as they
    are (a test's transaction may be open on them).
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright as start

    with start() as playwright:
        try:
            yield playwright
        finally:
            connections.close_all()
