from django.db import migrations

from cep.referentials.data import load


class Migration(migrations.Migration):
    dependencies = [("referentials", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
