"""The application role owns nothing and cannot erase the history; `db_roles` builds both roles idempotently."""

import io

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cep.audit.db_roles import history_tables
from tests.audit.roles import login

HISTORY = ("audit_auditentry", "audit_sensitiveaccess")


@pytest.fixture
def app_conn(roles):
    with login(roles.app) as conn:
        yield conn


def privileges(role: str) -> dict[str, set[str]]:
    """{table: privileges of role} for every table of the schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, p.name FROM pg_class c CROSS JOIN unnest(%s::text[]) p(name) "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
            "AND has_table_privilege(%s, c.oid, p.name)",
            [["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"], role],
        )
        result: dict[str, set[str]] = {}
        for table, privilege in cursor.fetchall():
            result.setdefault(table, set()).add(privilege)
        return result


def test_r12_history_tables_are_the_two_append_only_tables(db):
    with connection.cursor() as cursor:
        assert history_tables(cursor) == list(HISTORY)


@pytest.mark.parametrize("table", HISTORY)
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE {table}",
        "ALTER TABLE {table} DISABLE TRIGGER audit_append_only",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
        "ALTER TABLE {table} ADD COLUMN tampered int",
        "DROP TRIGGER audit_append_only ON {table}",
        "DROP TABLE {table}",
        "UPDATE {table} SET id = id",
        "DELETE FROM {table}",
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS 'BEGIN RETURN NEW; END' LANGUAGE plpgsql",
    ],
)
def test_r12_application_role_cannot_erase_the_history(app_conn, table, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement.format(table=table))


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "SET LOCAL session_replication_role = replica",
        "ALTER ROLE CURRENT_USER SET session_replication_role = replica",
        "CREATE TABLE public.shadow (id int)",
        "TRUNCATE enrolments_cep",
        "ALTER TABLE enrolments_cep DROP CONSTRAINT one_open_cep_per_person_and_structure",
        "DROP INDEX one_open_cep_per_person_and_structure",
    ],
)
def test_r12_application_role_cannot_change_the_replication_role_nor_the_schema(app_conn, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(statement)


def test_r12_application_role_reads_and_appends_to_the_history(roles):
    with login(roles.app, autocommit=False) as conn:
        conn.execute(
            "INSERT INTO audit_sensitiveaccess (at, actor_id, beneficiary_id, field, channel) "
            "VALUES (now(), 1, 1, 'rqth', 'web')"
        )
        conn.execute(
            "INSERT INTO audit_auditentry (at, actor_label, action, object_type, object_id) "
            "VALUES (now(), 'x', 'open', 'Cep', 1)"
        )
        assert conn.execute("SELECT count(*) FROM audit_sensitiveaccess").fetchone()[0] >= 1
        conn.rollback()


def test_application_role_has_dml_on_every_table_and_no_more(roles, db):
    app = privileges(roles.app)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")
        tables = {name for (name,) in cursor.fetchall()}
    assert set(app) == tables
    for table in tables - set(HISTORY):
        assert app[table] == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table
    for table in HISTORY:
        assert app[table] == {"SELECT", "INSERT"}, table


def test_owner_owns_everything_and_the_application_role_nothing(roles, db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        )
        assert {owner for (owner,) in cursor.fetchall()} == {roles.owner}
        cursor.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")
        assert cursor.fetchone() == (roles.owner,)
        cursor.execute(
            "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
            "AND p.proowner <> %s::regrole AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')",
            [roles.owner],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin, "
            "(SELECT count(*) FROM pg_auth_members WHERE member = r.oid) FROM pg_roles r WHERE rolname = %s",
            [roles.app],
        )
        assert cursor.fetchone() == (False, False, False, False, False, True, 0)


def test_tables_of_later_migrations_get_the_grants_and_a_new_history_table_loses_update(roles, db):
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{roles.owner}"')
        cursor.execute("CREATE TABLE audit_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)")
        cursor.execute("CREATE TABLE audit_laterhistory (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)")
        cursor.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_laterhistory "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        cursor.execute("RESET ROLE")
    before = privileges(roles.app)
    assert before["audit_later"] == before["audit_laterhistory"] == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate re-asserts the history grants
    after = privileges(roles.app)
    assert after["audit_later"] == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert after["audit_laterhistory"] == {"SELECT", "INSERT"}


def test_migrate_refuses_the_application_role_in_french(roles, db):
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{roles.app}"')
    with pytest.raises(CommandError, match="rôle propriétaire"):
        call_command("migrate", verbosity=0)


def test_db_roles_again_changes_nothing_and_says_so_in_french(roles, db):
    before = privileges(roles.app), privileges(roles.owner)
    out = io.StringIO()
    call_command("db_roles", owner=roles.owner, app=roles.app, stdout=out)
    report = out.getvalue()
    assert f"Rôle propriétaire {roles.owner} : mis à jour." in report
    assert f"Rôle applicatif {roles.app} : mis à jour." in report
    assert "possède déjà tous les objets" in report
    assert (privileges(roles.app), privileges(roles.owner)) == before
    assert "Propriété transférée" in roles.report and "créé" in roles.report


def test_db_roles_sets_passwords_from_the_environment_without_printing_them(roles, db, monkeypatch):
    monkeypatch.setenv("DATABASE_OWNER_PASSWORD", "owner-secret-0123456789")
    monkeypatch.setenv("DATABASE_APP_PASSWORD", "app-secret-0123456789")
    out = io.StringIO()
    call_command("db_roles", owner=roles.owner, app=roles.app, password_from_env=True, stdout=out)
    assert "mot de passe défini" in out.getvalue() and "secret" not in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_authid WHERE rolname IN (%s, %s) AND rolpassword IS NOT NULL",
            [roles.owner, roles.app],
        )
        assert cursor.fetchone() == (2,)
    monkeypatch.delenv("DATABASE_APP_PASSWORD")
    with pytest.raises(CommandError, match="DATABASE_APP_PASSWORD est vide ou absente"):
        call_command("db_roles", owner=roles.owner, app=roles.app, password_from_env=True, stdout=out)


@pytest.mark.parametrize(
    "owner, app, message",
    [
        ("cep_same", "cep_same", "deux rôles distincts"),
        ("cep_owner_x", "Robert'); DROP TABLE x; --", "Nom de rôle invalide"),
        ("cep_owner_x", "cep_test_superuser", "superutilisateur"),
    ],
)
def test_db_roles_refuses_in_french_and_changes_nothing(db, owner, app, message):
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("CREATE ROLE cep_test_superuser SUPERUSER")
    with pytest.raises(CommandError, match=message):
        call_command("db_roles", owner=owner, app=app, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname IN ('cep_same', 'cep_owner_x')")
        assert cursor.fetchone() == (0,)


def test_migrate_warns_about_objects_a_migration_by_another_role_left_behind(roles, db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_stray (id int)")  # as the administrator, not the owner
    out = io.StringIO()
    call_command("migrate", verbosity=0, stdout=out)
    assert f"1 objet(s) du schéma n'appartiennent pas au rôle propriétaire {roles.owner}" in out.getvalue()
    assert "relancez manage.py db_roles" in out.getvalue()


def test_db_roles_takes_back_a_granted_session_replication_role(roles, db):
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f'GRANT SET ON PARAMETER session_replication_role TO "{roles.app}"')
        call_command("db_roles", owner=roles.owner, app=roles.app, stdout=io.StringIO())
        cursor.execute("SELECT has_parameter_privilege(%s, 'session_replication_role', 'SET')", [roles.app])
        assert cursor.fetchone() == (False,)
