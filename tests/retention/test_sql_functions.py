"""The two SECURITY DEFINER functions and the triggers of the history tables accept retention and nothing else.

`audit_redact_beneficiary` removes the personal keys of one anonymised person's audit rows; the append-only trigger
lets through exactly that change (for anyone, the superuser included) and refuses every other. The RQTH access
log refuses UPDATE, and DELETE of rows younger than 12 months; `audit_purge_sensitive_access` deletes the older.
The application's role (played here by a role holding DML only, without UPDATE/DELETE on the two history tables)
can call both functions and do nothing else to those tables.
"""

import contextlib
import datetime
import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from cep.audit.models import AuditEntry, SensitiveAccess
from cep.beneficiaries.models import Beneficiary
from cep.enrolments.workflow import OPEN_STATUSES
from cep.retention import rules, services

from .conftest import GONE_ON

pytestmark = pytest.mark.django_db
migration = importlib.import_module("cep.retention.migrations.0001_history_redaction_and_purge")
APP_ROLE = "cep_retention_test_app"  # created and dropped inside each test's transaction


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def refused(statement: str, params=None, match: str = "") -> str:
    """Run the statement in a savepoint; it must fail. Returns the error text."""
    with pytest.raises(DatabaseError) as err, transaction.atomic():
        sql(statement, params)
    assert match in str(err.value), str(err.value)
    return str(err.value)


@contextlib.contextmanager
def as_app_role():
    """SET ROLE to a role with the application's rights: DML on every table, no UPDATE/DELETE on the history."""
    sql(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    sql(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    sql(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditentry, audit_sensitiveaccess FROM {APP_ROLE}")
    sql(f"SET LOCAL ROLE {APP_ROLE}")
    try:
        yield
    finally:
        sql("RESET ROLE")


@pytest.fixture
def anonymised(old_dossier):
    services.anonymise(on=GONE_ON, months=24)
    return Beneficiary.objects.get(pk=old_dossier.pk)


def log_row(age: datetime.timedelta) -> int:
    """An RQTH access-log row written `age` ago (raw INSERT: the model's auto_now_add would say now)."""
    return sql(
        "INSERT INTO audit_sensitiveaccess (at, actor_id, beneficiary_id, field, channel) "
        "VALUES (now() - %s, 1, 1, 'rqth', 'web') RETURNING id",
        [age],
    )[0][0]


def months_ago(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=round(n * 30.5))


# The redaction function


def test_redaction_is_refused_for_a_dossier_that_is_not_anonymised(old_dossier):
    refused("SELECT audit_redact_beneficiary(%s)", [old_dossier.pk], match="n'est pas anonymisé")
    assert AuditEntry.objects.filter(beneficiary_id=old_dossier.pk, after__has_key="last_name").exists()


def test_redaction_is_refused_when_only_the_flag_was_set(old_dossier):
    """Setting anonymised_at on a live dossier is not enough: its identity must be the neutral one."""
    Beneficiary.objects.filter(pk=old_dossier.pk).update(anonymised_at=datetime.datetime.now(datetime.UTC))
    refused("SELECT audit_redact_beneficiary(%s)", [old_dossier.pk], match="n'est pas anonymisé")


def test_redaction_is_refused_while_a_cep_is_in_progress(anonymised, counselor, cep_refs):
    from cep.enrolments.models import Cep

    Cep.objects.create(
        beneficiary=anonymised, structure_id=anonymised.structure_id, status="phase2",
        orientation_source=cep_refs["direct"], entry_date=datetime.date(2023, 2, 1), entry_phase=2,
        phase2_entry_date=datetime.date(2023, 2, 1), request_reason=cep_refs["reason"],
    )  # fmt: skip
    refused("SELECT audit_redact_beneficiary(%s)", [anonymised.pk], match="n'est pas anonymisé")


def test_redaction_removes_only_the_personal_keys_and_is_idempotent(old_dossier):
    entries = AuditEntry.objects.filter(beneficiary_id=old_dossier.pk).order_by("id")
    before = {e.pk: (e.before, e.after, e.action, e.at, e.actor_id) for e in entries}
    services.anonymise(on=GONE_ON, months=24)
    keys = set(rules.AUDIT_PERSONAL_KEYS)
    for entry in entries.exclude(action="anonymise_beneficiary"):
        old_before, old_after, action, at, actor = before[entry.pk]
        assert (entry.action, entry.at, entry.actor_id) == (action, at, actor)
        for old, new in ((old_before, entry.before), (old_after, entry.after)):
            assert new == ({k: v for k, v in old.items() if k not in keys} if old is not None else None)
    assert sql("SELECT audit_redact_beneficiary(%s)", [old_dossier.pk]) == [(0,)]


# The trigger of audit_auditentry: nothing but the redaction, whoever asks


@pytest.mark.parametrize(
    "change",
    [
        'after = after || \'{"status": "closed"}\'::jsonb',  # a non-personal key rewritten
        "after = after - 'date'",  # a non-personal key removed
        'before = before || \'{"last_name": "Autre"}\'::jsonb',  # a personal key rewritten, not removed
        "action = 'rewritten'",
        "actor_label = 'Quelqu''un d''autre'",
        "at = at - interval '1 day'",
        "beneficiary_id = beneficiary_id + 1",
    ],
)
def test_any_other_change_to_an_anonymised_persons_history_is_refused(anonymised, change):
    refused(f"UPDATE audit_auditentry SET {change} WHERE beneficiary_id = %s", [anonymised.pk], match="ajout seul")


def test_history_rows_are_never_deleted(anonymised):
    refused("DELETE FROM audit_auditentry WHERE beneficiary_id = %s", [anonymised.pk], match="ajout seul")


def test_a_live_persons_history_cannot_be_redacted_by_hand(old_dossier):
    refused(
        "UPDATE audit_auditentry SET before = retention_redacted(before), after = retention_redacted(after) "
        "WHERE beneficiary_id = %s",
        [old_dossier.pk],
        match="ajout seul",
    )


def test_the_application_role_calls_the_functions_and_nothing_else(anonymised, old_dossier):
    other = Beneficiary.objects.exclude(pk=anonymised.pk).first() or anonymised
    with as_app_role():
        assert sql("SELECT current_user") == [(APP_ROLE,)]
        refused("UPDATE audit_auditentry SET action = 'x' WHERE beneficiary_id = %s", [anonymised.pk], "permission")
        refused("DELETE FROM audit_sensitiveaccess", match="permission")
        refused("TRUNCATE audit_auditentry", match="permission")
        refused("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_append_only", match="owner")
        refused(
            "CREATE OR REPLACE FUNCTION retention_personal_keys() RETURNS text[] LANGUAGE sql "
            "AS $$ SELECT ARRAY['action'] $$",
            match="",
        )
        assert sql("SELECT audit_redact_beneficiary(%s)", [anonymised.pk]) == [(0,)]
        assert sql("SELECT audit_purge_sensitive_access(100)") == [(0,)]
        assert other is not None


def test_the_functions_are_security_definer_with_a_pinned_search_path():
    rows = sql(
        "SELECT p.proname, p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner), "
        "has_function_privilege('public', p.oid, 'EXECUTE') FROM pg_proc p "
        "WHERE p.proname IN ('audit_redact_beneficiary', 'audit_purge_sensitive_access') ORDER BY p.proname"
    )
    migration_owner = sql("SELECT current_user")[0][0]
    assert [r[0] for r in rows] == ["audit_purge_sensitive_access", "audit_redact_beneficiary"]
    for _, definer, config, owner, public in rows:
        assert definer and public and owner == migration_owner
        assert [c for c in config if c.startswith("search_path=")] == ["search_path=pg_catalog, public, pg_temp"]


def test_the_migration_and_the_rules_agree():
    assert migration.PERSONAL_KEYS == rules.AUDIT_PERSONAL_KEYS
    assert set(migration.OPEN_STATUSES) == {s.value for s in OPEN_STATUSES}
    assert migration.NEUTRAL == {k: rules.NEUTRAL_BENEFICIARY[k] for k in ("last_name", "first_name")}
    assert set(rules.NEUTRAL_BENEFICIARY) == {"last_name", "first_name", "birth_name", "email", "phone", "address",
                                              "commune_id"}  # fmt: skip
    assert sql("SELECT retention_personal_keys()") == [(list(rules.AUDIT_PERSONAL_KEYS),)]


# The RQTH access log: kept 12 months, then purged


def test_the_purge_keeps_eleven_month_old_rows_and_deletes_older_than_twelve(refdata):
    kept = [log_row(months_ago(11)), log_row(datetime.timedelta(days=1)), log_row(datetime.timedelta(0))]
    gone = [log_row(months_ago(13)), log_row(months_ago(30))]
    assert services.purge_sensitive_access() == 2
    assert set(SensitiveAccess.objects.values_list("pk", flat=True)) == set(kept)
    assert not SensitiveAccess.objects.filter(pk__in=gone).exists()


def test_the_purge_works_in_batches(refdata):
    for _ in range(5):
        log_row(months_ago(13))
    ticks = []
    assert services.purge_sensitive_access(batch=2, progress=ticks.append) == 5
    assert ticks == [2, 2, 1]


def test_the_access_log_refuses_updates_and_early_deletes_whoever_asks(refdata):
    young, old = log_row(months_ago(11)), log_row(months_ago(13))
    refused("DELETE FROM audit_sensitiveaccess WHERE id = %s", [young], match="conservé 12 mois")
    refused("UPDATE audit_sensitiveaccess SET at = now() - interval '2 years' WHERE id = %s", [young], "conservé")
    refused("UPDATE audit_sensitiveaccess SET channel = 'api' WHERE id = %s", [old], match="conservé 12 mois")
    sql("DELETE FROM audit_sensitiveaccess WHERE id = %s", [old])  # past 12 months: the purge's own right
    assert list(SensitiveAccess.objects.values_list("pk", flat=True)) == [young]


def test_dry_run_counts_the_log_rows_to_purge(refdata):
    import io

    from django.core.management import call_command

    log_row(months_ago(13))
    log_row(months_ago(11))
    out = io.StringIO()
    call_command("cep_retention", "--dry-run", stdout=out)
    assert "Journal des accès à la RQTH, lignes de plus de 12 mois à supprimer : 1" in out.getvalue()
    assert SensitiveAccess.objects.count() == 2
