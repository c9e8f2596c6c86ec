"""The words of the dossiers' names, for the search in any order (issue 14).

beneficiaries_nameword holds (structure_id, word, beneficiary_id) for every word of `search_name` (normalised in
Python by cep.common.text.normalize_name) and the phone's national digits (cep.common.text.phone_digits, written
again here in SQL; tests/common/test_search_text.py checks that both agree). Statement-level triggers with
transition tables keep it in step with every writer (ORM, the demo generator's COPY, the retention job's SQL) in
one set-based statement each. The existing rows are indexed by one INSERT … SELECT. The global trigram index,
which the search no longer reads, is dropped.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION cep_phone_digits(phone text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN length(d) >= 6 THEN d ELSE '' END
    FROM (SELECT CASE WHEN left(r, 4) = '0033' THEN '0' || substr(r, 5)
                      WHEN left(r, 2) = '33' AND length(r) = 11 THEN '0' || substr(r, 3)
                      ELSE r END AS d
          FROM (SELECT regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') AS r) AS raw) AS national
$$;

CREATE OR REPLACE FUNCTION cep_search_words(search_name text, phone text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, {schema}, pg_temp
AS $$
    SELECT w FROM unnest(string_to_array(coalesce(search_name, ''), ' ')) AS w WHERE w <> ''
    UNION
    SELECT d FROM {schema}.cep_phone_digits(phone) AS d WHERE d <> ''
$$;

CREATE OR REPLACE FUNCTION cep_name_words_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {schema}, pg_temp
AS $$
BEGIN
    -- Each transition table exists only for its own events: every statement below names only those it has.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {schema}.beneficiaries_nameword (structure_id, word, beneficiary_id, search_name)
        SELECT n.structure_id, sw.word, n.id, n.search_name
        FROM new_rows n, LATERAL {schema}.cep_search_words(n.search_name, n.phone) AS sw(word)
        ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM {schema}.beneficiaries_nameword w
        USING old_rows o, LATERAL {schema}.cep_search_words(o.search_name, o.phone) AS sw(word)
        WHERE w.structure_id = o.structure_id AND w.word = sw.word AND w.beneficiary_id = o.id;
    ELSE
        DELETE FROM {schema}.beneficiaries_nameword w
        USING (SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id
               WHERE (n.structure_id, n.search_name, n.phone)
                     IS DISTINCT FROM (o.structure_id, o.search_name, o.phone)) AS gone,
              LATERAL {schema}.cep_search_words(gone.search_name, gone.phone) AS sw(word)
        WHERE w.structure_id = gone.structure_id AND w.word = sw.word AND w.beneficiary_id = gone.id;
        INSERT INTO {schema}.beneficiaries_nameword (structure_id, word, beneficiary_id, search_name)
        SELECT n.structure_id, sw.word, n.id, n.search_name
        FROM new_rows n JOIN old_rows o ON o.id = n.id,
             LATERAL {schema}.cep_search_words(n.search_name, n.phone) AS sw(word)
        WHERE (n.structure_id, n.search_name, n.phone) IS DISTINCT FROM (o.structure_id, o.search_name, o.phone)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER cep_name_words_insert AFTER INSERT ON beneficiaries_beneficiary
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cep_name_words_sync();
CREATE TRIGGER cep_name_words_update AFTER UPDATE ON beneficiaries_beneficiary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cep_name_words_sync();
CREATE TRIGGER cep_name_words_delete AFTER DELETE ON beneficiaries_beneficiary
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cep_name_words_sync();

INSERT INTO beneficiaries_nameword (structure_id, word, beneficiary_id, search_name)
SELECT b.structure_id, word, b.id, b.search_name
FROM beneficiaries_beneficiary b, LATERAL cep_search_words(b.search_name, b.phone) AS word
ORDER BY 1, 2, 3;
ANALYZE beneficiaries_nameword;

DROP INDEX IF EXISTS benef_search_trgm;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS cep_name_words_insert ON beneficiaries_beneficiary;
DROP TRIGGER IF EXISTS cep_name_words_update ON beneficiaries_beneficiary;
DROP TRIGGER IF EXISTS cep_name_words_delete ON beneficiaries_beneficiary;
DROP FUNCTION IF EXISTS cep_name_words_sync();
DROP FUNCTION IF EXISTS cep_search_words(text, text);
DROP FUNCTION IF EXISTS cep_phone_digits(text);
CREATE INDEX IF NOT EXISTS benef_search_trgm ON beneficiaries_beneficiary USING gin (search_name gin_trgm_ops);
"""


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        return cursor.fetchone()[0]


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD.format(schema=_schema(schema_editor)))


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)



class Migration(migrations.Migration):

    dependencies = [
        ('beneficiaries', '0005_identity_pseudonym'),
    ]

    operations = [
        migrations.CreateModel(
            name='NameWord',
            fields=[
                ('pk', models.CompositePrimaryKey('structure_id', 'word', 'beneficiary_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('structure_id', models.BigIntegerField()),
                ('word', models.CharField(db_collation='C', max_length=210)),
                ('beneficiary', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='beneficiaries.beneficiary')),
                ('search_name', models.CharField(max_length=210)),
            ],
            options={
                'verbose_name': 'mot du nom',
                'indexes': [models.Index(fields=['structure_id', 'word', 'search_name', 'beneficiary'], name='nameword_prefix_order_idx')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
