"""Retention in the history tables (docs/decisions.md, « Durée de conservation »).

The application's role may not UPDATE or DELETE the two history tables. Two SECURITY DEFINER functions, owned by
the role that runs the migrations and executable by anyone, do the only two changes retention needs:

- `audit_redact_beneficiary(id)` removes the personal keys from the before/after snapshots of the audit rows of
  one *anonymised* beneficiary (refused for any other), nothing else;
- `audit_purge_sensitive_access(batch)` deletes RQTH access-log rows older than 12 months, at most `batch` rows.

The functions disable nothing and set nothing: the triggers themselves let through exactly these changes and
refuse every other, whoever asks (superuser included, short of disabling the trigger):

- audit_auditentry: an UPDATE is accepted only when every column but before/after is unchanged, before and after
  are the old ones minus the personal keys, and the row's beneficiary is anonymised (neutral identity, no CEP in
  progress); DELETE is always refused;
- audit_sensitiveaccess: UPDATE is refused; DELETE only for rows older than 12 months (the same function,
  audit_append_only(), guards both tables: migration audit 0003 put it on the access log).

The values below are frozen here (a migration is history); tests/retention/test_sql_functions.py checks that they
equal cep/retention/rules.py and cep/enrolments/workflow.py.
"""

from django.db import migrations

PERSONAL_KEYS = (
    "last_name",
    "first_name",
    "birth_name",
    "search_name",
    "email",
    "phone",
    "address",
    "commune_id",
    "birth_date",
    "has_rqth",
    "comment",
    "prescriber_name",
    "referent_name",
)
OPEN_STATUSES = ("phase2", "phase3")
NEUTRAL = {"last_name": "ANONYME", "first_name": "Anonyme"}


def _array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


FORWARD = """
CREATE OR REPLACE FUNCTION retention_personal_keys() RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT {keys} $$;

CREATE OR REPLACE FUNCTION retention_redacted(snapshot jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, {schema}, pg_temp
AS $$ SELECT CASE WHEN jsonb_typeof(snapshot) = 'object' THEN snapshot - {schema}.retention_personal_keys()
                  ELSE snapshot END $$;

CREATE OR REPLACE FUNCTION retention_is_anonymised(beneficiary bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, {schema}, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1 FROM {schema}.beneficiaries_beneficiary b
        WHERE b.id = beneficiary AND b.anonymised_at IS NOT NULL
          AND b.last_name = '{last_name}' AND b.first_name = '{first_name}' AND b.birth_name = ''
          AND b.email = '' AND b.phone = '' AND b.address = '' AND b.commune_id IS NULL
    ) AND NOT EXISTS (
        SELECT 1 FROM {schema}.enrolments_cep c WHERE c.beneficiary_id = beneficiary AND c.status = ANY({open})
    )
$$;

CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {schema}, pg_temp
AS $$
BEGIN
    -- One function guards every history table (cep/audit/db_roles.py finds them by it); the two exceptions below
    -- are tested on the table first (NEW.before exists only in audit_auditentry).
    IF TG_TABLE_NAME = 'audit_auditentry' AND TG_OP = 'UPDATE' THEN
        IF (to_jsonb(NEW) - 'before' - 'after') = (to_jsonb(OLD) - 'before' - 'after')
           AND NEW.before IS NOT DISTINCT FROM {schema}.retention_redacted(OLD.before)
           AND NEW.after IS NOT DISTINCT FROM {schema}.retention_redacted(OLD.after)
           AND OLD.beneficiary_id IS NOT NULL
           AND {schema}.retention_is_anonymised(OLD.beneficiary_id) THEN
            RETURN NEW;  -- the redaction of an anonymised person's personal keys, and nothing else
        END IF;
    ELSIF TG_TABLE_NAME = 'audit_sensitiveaccess' THEN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{months} months' THEN
            RETURN OLD;  -- past the retention period of the RQTH access log
        END IF;
        RAISE EXCEPTION '%% est en ajout seul : %% refusé (conservé {months} mois)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION '%% est en ajout seul : %% refusé', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION audit_redact_beneficiary(beneficiary bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {schema}, pg_temp
AS $$
DECLARE
    redacted integer;
BEGIN
    IF beneficiary IS NULL OR NOT {schema}.retention_is_anonymised(beneficiary) THEN
        RAISE EXCEPTION 'Le dossier %% n''est pas anonymisé : son historique ne peut pas être expurgé.', beneficiary
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE {schema}.audit_auditentry a
    SET before = {schema}.retention_redacted(a.before), after = {schema}.retention_redacted(a.after)
    WHERE a.beneficiary_id = beneficiary
      AND (coalesce(jsonb_typeof(a.before) = 'object' AND a.before ?| {schema}.retention_personal_keys(), FALSE)
           OR coalesce(jsonb_typeof(a.after) = 'object' AND a.after ?| {schema}.retention_personal_keys(), FALSE));
    GET DIAGNOSTICS redacted = ROW_COUNT;
    RETURN redacted;
END;
$$;
REVOKE ALL ON FUNCTION audit_redact_beneficiary(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_redact_beneficiary(bigint) TO PUBLIC;

CREATE OR REPLACE FUNCTION audit_purge_sensitive_access(batch integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {schema}, pg_temp
AS $$
DECLARE
    purged integer;
BEGIN
    DELETE FROM {schema}.audit_sensitiveaccess s WHERE s.id IN (
        SELECT o.id FROM {schema}.audit_sensitiveaccess o
        WHERE o.at < now() - interval '{months} months'
        ORDER BY o.at LIMIT greatest(1, least(coalesce(batch, 10000), 100000))
    );
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END;
$$;
REVOKE ALL ON FUNCTION audit_purge_sensitive_access(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_purge_sensitive_access(integer) TO PUBLIC;
"""

# Back to migration audit 0003's trigger function (refuse UPDATE and DELETE on every history table).
BACKWARD = """
DROP FUNCTION IF EXISTS audit_purge_sensitive_access(integer);
DROP FUNCTION IF EXISTS audit_redact_beneficiary(bigint);
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% est en ajout seul : %% refusé', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP FUNCTION IF EXISTS retention_is_anonymised(bigint);
DROP FUNCTION IF EXISTS retention_redacted(jsonb);
DROP FUNCTION IF EXISTS retention_personal_keys();
"""


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        return cursor.fetchone()[0]


def forward(apps, schema_editor):
    schema_editor.execute(
        FORWARD.format(
            schema=_schema(schema_editor),
            keys=_array(PERSONAL_KEYS),
            open=_array(OPEN_STATUSES),
            months=12,
            **NEUTRAL,
        )
    )


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_sensitive_access_at_index"),
        ("beneficiaries", "0004_anonymised_at"),
        ("enrolments", "0002_fk_indexes_that_serve_no_query"),
    ]
    operations = [migrations.RunPython(forward, backward)]
