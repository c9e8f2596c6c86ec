# Issue 11, part 1: one identity pseudonym per person, filled for the existing dossiers.

from django.db import migrations, models

CHUNK = 20_000


def fill(apps, schema_editor):
    """Fill every dossier's identity pseudonym, CHUNK rows per statement (keyset on id, one UPDATE … FROM unnest
    per chunk; no row-by-row save, no updated_at change: no monthly line moves because of the migration).

    A dossier anonymised by the retention has no identity left: it gets a pseudonym of its own (identity.py).
    """
    from cep.beneficiaries import identity

    key = identity.identity_key()
    connection = schema_editor.connection
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, last_name, birth_name, first_name, birth_date, sex, person_key, anonymised_at "
                "FROM beneficiaries_beneficiary WHERE id > %s ORDER BY id LIMIT %s",
                [last, CHUNK],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            ids, values = [], []
            for pk, last_name, birth_name, first_name, birth_date, sex, person_key, anonymised_at in rows:
                ids.append(pk)
                if anonymised_at is not None:
                    values.append(identity.dossier_identity_pseudonym(person_key, key))
                else:
                    values.append(
                        identity.identity_pseudonym(
                            last_name=last_name,
                            birth_name=birth_name,
                            first_name=first_name,
                            birth_date=birth_date,
                            sex=sex,
                            key=key,
                        )
                    )
            cursor.execute(
                "UPDATE beneficiaries_beneficiary b SET identity_pseudonym = v.p "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, p) WHERE b.id = v.id",
                [ids, values],
            )
            last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0004_anonymised_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="beneficiary",
            name="identity_pseudonym",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
