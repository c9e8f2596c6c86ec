"""The audit table refuses UPDATE and DELETE: history is append-only (non-negotiable 4)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditentry est en ajout seul : %% refusé', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
BACKWARD = "DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry; DROP FUNCTION IF EXISTS audit_append_only();"


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
