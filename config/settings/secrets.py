"""The secrets production refuses: absent, empty, shorter than 32 bytes, or one of the development values.

The development values live here, once: the dev, demo and test settings read them from this module, so a value
that ships in the repository can never be accepted by the production settings.
"""

import sys

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
DEV_PSEUDONYM_SECRET = "dev-only-pseudonym-secret"
TEST_PSEUDONYM_SECRET = "test-pseudonym-secret"
KNOWN_VALUES = frozenset({DEV_SECRET_KEY, DEV_PSEUDONYM_SECRET, TEST_PSEUDONYM_SECRET})
MIN_BYTES = 32

# gunicorn stops (instead of respawning workers forever) when a worker exits with this code while booting.
BOOT_ERROR_EXIT_CODE = 3


def problems(environ) -> list[str]:
    """French explanations of what is wrong with the secrets of `environ` (empty: they are fit for production)."""
    found = []
    for name, role in (
        ("DJANGO_SECRET_KEY", "la clé secrète de Django (sessions, jetons de réinitialisation)"),
        ("CEP_PSEUDONYM_SECRET", "la clé des pseudonymes du fichier mensuel, propre au déploiement"),
    ):
        value = environ.get(name)
        if value is None or not value.strip():
            found.append(f"{name} est absente ou vide : {role}.")
        elif value in KNOWN_VALUES or value.strip() in KNOWN_VALUES:
            found.append(f"{name} reprend une valeur de développement publiée dans le dépôt : {role}.")
        elif len(value.encode()) < MIN_BYTES:
            found.append(f"{name} est trop courte ({len(value.encode())} octets, {MIN_BYTES} au moins) : {role}.")
    return found


def refuse(found: list[str]) -> None:
    """Print the problems in French on stderr and stop the process: no traceback, no server started."""
    lines = ["Configuration de production refusée :", *(f"  - {p}" for p in found)]
    lines.append(
        'Générez chaque clé avec : python -c "import secrets; print(secrets.token_urlsafe(48))" '
        "(voir la section Production du README)."
    )
    print("\n".join(lines), file=sys.stderr, flush=True)
    raise SystemExit(BOOT_ERROR_EXIT_CODE)
