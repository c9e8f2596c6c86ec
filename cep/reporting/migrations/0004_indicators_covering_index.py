# The monthly refresh reads a month of services twice (level-1 people, services by act): a covering index on
# the proposal date answers both with index-only scans.

from django.db import migrations

COVERING = (
    "CREATE INDEX IF NOT EXISTS reporting_service_on_idx ON offers_service (proposed_on) "
    "INCLUDE (structure_id, beneficiary_id, is_cep_level1, service_act_id, cep_id)"
)


def forward(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS reporting_service_on_idx")
    schema_editor.execute(COVERING)


def backward(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS reporting_service_on_idx")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS reporting_service_on_idx ON offers_service (proposed_on)")


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_exportline_fewer_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
