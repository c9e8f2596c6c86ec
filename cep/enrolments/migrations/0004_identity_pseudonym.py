# Issue 11, part 3: the person's identity pseudonym on each CEP, and a partial index over the CEPs in progress.

from django.conf import settings
from django.db import migrations, models

COPY = """
UPDATE enrolments_cep c SET identity_pseudonym = b.identity_pseudonym
FROM beneficiaries_beneficiary b
WHERE b.id = c.beneficiary_id AND c.identity_pseudonym IS DISTINCT FROM b.identity_pseudonym
"""


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0005_identity_pseudonym"),
        ("enrolments", "0003_r9_clock_from_manifestations"),
        ("organisations", "0002_territories"),
        ("referentials", "0006_identity_flags"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="cep",
            name="identity_pseudonym",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        # One set-based statement (updated_at untouched), before the index is built.
        migrations.RunSQL(COPY, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="cep",
            index=models.Index(
                condition=models.Q(("status__in", ("phase2", "phase3"))),
                fields=["identity_pseudonym"],
                include=("structure",),
                name="cep_open_identity_idx",
            ),
        ),
    ]
