"""`python -m config.embedded --roles` (make run): the command gets the application role, the migrations the owner."""

import uuid

import psycopg
import pytest
from django.db import connection

from config.embedded import ensure_roles
from tests.audit.roles import Roles, drop_roles


@pytest.fixture
def names(transactional_db):
    suffix = uuid.uuid4().hex[:12]
    roles = Roles(f"cep_test_owner_{suffix}", f"cep_test_app_{suffix}", "")
    yield roles
    drop_roles(roles)


def test_roles_option_gives_the_command_the_application_role_and_the_owner_url(names):
    settings = connection.settings_dict
    urls = ensure_roles(
        (settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)),
        settings["NAME"],
        **{
            "owner": names.owner,
            "app": names.app,
        },
    )
    assert set(urls) == {"DATABASE_URL", "DATABASE_OWNER_URL"}
    with psycopg.connect(urls["DATABASE_URL"], autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (names.app,)
        assert conn.execute("SELECT count(*) >= 0 FROM enrolments_cep").fetchone() == (True,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE audit_auditentry")
    with psycopg.connect(urls["DATABASE_OWNER_URL"], autocommit=True) as conn:
        assert conn.execute(
            "SELECT current_user, pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit_auditentry'::regclass"
        ).fetchone() == (names.owner, names.owner)
