"""One way to start the browser of the browser tests: Debian's chromium (never a downloaded build), in French.

`locale="fr-FR"` alone changes `navigator.language` but not how chromium draws date fields: that follows the
process's LANG and the French resources of the package chromium-l10n. With both, a date field reads « 14/05/2026 »
and a month field « mai 2026 », as users in France see them (and the screenshots of the user guide show).
"""

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
