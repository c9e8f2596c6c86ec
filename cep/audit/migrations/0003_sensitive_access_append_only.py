"""The RQTH access log gets the append-only trigger of the history: UPDATE and DELETE refused, as on audit_auditentry.

The trigger function names the table it guards (TG_TABLE_NAME). Any table carrying a trigger on this function is a
history table: the application role may only SELECT and INSERT there (cep/audit/db_roles.py, after every migrate).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% est en ajout seul : %% refusé', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
FORWARD = (
    FUNCTION
    + """
DROP TRIGGER IF EXISTS audit_append_only ON audit_sensitiveaccess;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_sensitiveaccess
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
)
BACKWARD = "DROP TRIGGER IF EXISTS audit_append_only ON audit_sensitiveaccess;"


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
