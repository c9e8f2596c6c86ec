"""The name words' SQL function becomes inlinable: the import of a large file spent most of its write in it.

cep_search_words() carried `SET search_path`, which forbids PostgreSQL to inline a SQL function: the statement-level
triggers of 0006 called it once per row through the function executor (5.3 s of the 6.8 s INSERT of 20,000
imported dossiers, bench/bench_import.py). Without the SET clause, and with every function it calls named in
pg_catalog (operators resolve there first whatever the caller's search_path), the planner inlines it into the
triggers' INSERT … SELECT; `OFFSET 0` keeps the phone's regexp_replace evaluated once per row instead of once per
reference after flattening. Same words as before (tests/common/test_search_text.py compares them with Python's).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION cep_search_words(search_name text, phone text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT w FROM pg_catalog.unnest(
        pg_catalog.array_append(
            pg_catalog.string_to_array(coalesce(search_name, ''), ' '),
            (SELECT CASE WHEN pg_catalog.length(d) >= 6 THEN d ELSE '' END
             FROM (SELECT CASE WHEN pg_catalog.left(r, 4) = '0033' THEN '0' || pg_catalog.substr(r, 5)
                               WHEN pg_catalog.left(r, 2) = '33' AND pg_catalog.length(r) = 11
                                    THEN '0' || pg_catalog.substr(r, 3)
                               ELSE r END AS d
                   FROM (SELECT pg_catalog.regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') AS r OFFSET 0)
                        AS raw) AS national))) AS w
    WHERE w <> ''
    GROUP BY w
$$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION cep_search_words(search_name text, phone text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, {schema}, pg_temp
AS $$
    SELECT w FROM unnest(string_to_array(coalesce(search_name, ''), ' ')) AS w WHERE w <> ''
    UNION
    SELECT d FROM {schema}.cep_phone_digits(phone) AS d WHERE d <> ''
$$;
"""


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        return cursor.fetchone()[0]


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD.format(schema=_schema(schema_editor)))


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0006_search_words")]

    operations = [migrations.RunPython(forward, backward)]
