"""Fresh owner and application roles for a test module, and connections that log in as them.

Roles are cluster-wide and other test runs share the server: each set gets a unique name, and is dropped at the end
(the objects its owner received go back to the administrator that ran the tests).
"""

import io
import uuid
from dataclasses import dataclass

import psycopg
from django.core.management import call_command
from django.db import connection


@dataclass
class Roles:
    owner: str
    app: str
    report: str


def create_roles(**options) -> Roles:
    suffix = uuid.uuid4().hex[:12]
    owner, app = f"cep_test_owner_{suffix}", f"cep_test_app_{suffix}"
    out = io.StringIO()
    call_command("db_roles", owner=owner, app=app, stdout=out, **options)
    return Roles(owner, app, out.getvalue())


def drop_roles(roles: Roles, databases: tuple[str, ...] = ()) -> None:
    """Give back what the owner holds (in the test database and in `databases`), then drop both roles."""
    for name in (connection.settings_dict["NAME"], *databases):
        with login(connection.settings_dict["USER"], database=name) as conn:
            conn.execute(f'REASSIGN OWNED BY "{roles.owner}" TO current_user')
            conn.execute(f'DROP OWNED BY "{roles.owner}"')  # one at a time: together, PostgreSQL trips over the
            conn.execute(f'DROP OWNED BY "{roles.app}"')  # default ACL that names both
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE "{roles.app}"')
        cursor.execute(f'DROP ROLE "{roles.owner}"')


def login(role: str, database: str | None = None, autocommit: bool = True) -> psycopg.Connection:
    """A new connection to the test server as `role` (the servers of the tests trust local connections)."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        dbname=database or settings["NAME"],
        user=role,
        password=settings["PASSWORD"] or None if role == settings["USER"] else None,
        autocommit=autocommit,
    )
