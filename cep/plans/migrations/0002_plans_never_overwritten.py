"""An issued document and a plan version are never overwritten: the database refuses UPDATE on them.

DELETE stays possible for the retention rules (cep/retention), which remove a person's data as a whole.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION plans_never_overwritten() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% ne se modifie pas : une nouvelle ligne est ajoutée', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS plans_issued_never_overwritten ON plans_issueddocument;
CREATE TRIGGER plans_issued_never_overwritten BEFORE UPDATE ON plans_issueddocument
    FOR EACH ROW EXECUTE FUNCTION plans_never_overwritten();
DROP TRIGGER IF EXISTS plans_version_never_overwritten ON plans_planversion;
CREATE TRIGGER plans_version_never_overwritten BEFORE UPDATE ON plans_planversion
    FOR EACH ROW EXECUTE FUNCTION plans_never_overwritten();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS plans_issued_never_overwritten ON plans_issueddocument;
DROP TRIGGER IF EXISTS plans_version_never_overwritten ON plans_planversion;
DROP FUNCTION IF EXISTS plans_never_overwritten();
"""


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_plans")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
