"""The cooperation themes and the national calendar of the 2022 exercise, verbatim from [002]."""

from django.db import migrations


def load(apps, schema_editor):
    from cep.monitoring.data import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
