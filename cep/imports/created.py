"""What the kinds of file share. The kinds that only create rows (CEPs, events, services): the audit rows written
by INSERT … SELECT, the deletion on undo, the probe of a stale plan, the insert of one chunk under a savepoint, and
the check that nothing was built on the created rows since (« Annuler l'import » is refused then). Every kind,
beneficiaries too: the probes of the rows that refer to an imported object (reference_checks, first_found)."""

from django.db import IntegrityError, connection, transaction

from cep.common.errors import RuleViolation

CREATED = "l.batch_id = %(batch)s AND l.outcome = 'create'"
AFTER = "a.at + interval '0 s' > %(applied)s"  # see probe()
CHUNK = "l.batch_id = %(batch)s AND l.line_number BETWEEN %(low)s AND %(high)s"


def draw_ids(cursor, table: str, count: int) -> list[int]:
    """`count` ids of `table`'s sequence, ascending: the rows a check's « create » lines will create, drawn while the
    lines are written (file order: line 2 before line 3). Writing them then saves the apply an UPDATE of every line
    (2 s per 100,000 lines). A line the plan moves elsewhere gives its id back (forget_unused_ids): a gap."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return sorted(row[0] for row in cursor.fetchall())


def forget_unused_ids(cursor, table: str, batch_id: int, first_id: int) -> None:
    """After the plan: a line no longer « create » keeps only an object that exists (the dossier it matched); the id
    drawn for it is dropped (drawn ids never exist yet: the sequence gives them to nobody else). Only ids from the
    batch's `first_id` on can be drawn ones: the objects matched before it are not probed (1.9 s for the 500,000
    « inchangé » lines of a re-import)."""
    cursor.execute(
        f"""UPDATE imports_importline l SET object_id = NULL
        WHERE l.batch_id = %s AND l.outcome <> 'create' AND l.object_id >= %s
          AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = l.object_id)""",
        [batch_id, first_id],
    )


def audit_sql(table: str, alias: str, object_type: str) -> str:
    """One audit row per created row, in the file's order; `{before}` and `{after}` are filled by the caller."""
    return f"""
INSERT INTO audit_auditentry (at, actor_id, actor_label, action, object_type, object_id, structure_id,
                              beneficiary_id, before, after)
SELECT now(), %(actor)s, %(actor_label)s, %(action)s, '{object_type}', {alias}.id, {alias}.structure_id,
       {alias}.beneficiary_id, {{before}}, {{after}}
FROM imports_importline l JOIN {table} {alias} ON {alias}.id = l.object_id
WHERE {CREATED}
ORDER BY l.line_number
"""


def snapshot(alias: str) -> str:
    return f"(to_jsonb({alias}) - 'created_at' - 'updated_at')"


def delete_sql(table: str, alias: str) -> str:
    return f"DELETE FROM {table} {alias} USING imports_importline l WHERE {CREATED} AND {alias}.id = l.object_id"


def first_stale_line(cursor, stale_sql: str, params) -> int | None:
    cursor.execute(stale_sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


def insert_chunk(cursor, insert_sql: str, params, stale_message: str) -> int:
    """Insert the chunk's « create » lines (with the ids drawn at check) under a savepoint: a constraint broken by
    what changed since the check (an index, a row removed) fails the batch whole with `stale_message`."""
    try:
        with transaction.atomic():
            cursor.execute(insert_sql, params)
    except IntegrityError as exc:
        raise RuleViolation("IMPORT", stale_message) from exc
    return cursor.rowcount


def reference_checks(model, lines: str, *, skip=lambda related: False) -> list[tuple[str, str]]:
    """(SQL, French label) per table whose foreign key points at `model`: does a row refer to an object of the
    batch's `lines` (a condition on the alias `l`)? Tables `skip(related_model)` leaves out are not probed."""
    checks = []
    for relation in model._meta.related_objects:
        related = relation.related_model
        if not relation.field.db_constraint or not relation.field.concrete or skip(related):
            continue
        checks.append(
            (
                probe(
                    f"SELECT 1 FROM {related._meta.db_table} t WHERE t.{relation.field.column} = l.object_id",
                    lines,
                ),
                related._meta.verbose_name,
            )
        )
    return checks


def probe(inner: str, lines: str) -> str:
    """Does `inner` (a condition on the alias `l`) find a row for one of the batch's `lines`? The lines drive: one
    index probe per line (the foreign key's or the history's index), whatever the statistics say. A plain join was
    planned, with the history's statistics stale after a large import, as a nested loop over every recent audit row
    rescanning the batch's lines: 450 s to undo a 10,000-line batch after a 100,000-line one. A condition on the
    history's date is written `AFTER` (`at + 0 s > …`) so that only the object's index can serve the probe: with
    stale statistics the index on `at` looks selective, and scanning it for every line repeats the same fault."""
    return f"SELECT 1 FROM imports_importline l CROSS JOIN LATERAL ({inner} LIMIT 1) p WHERE {lines} LIMIT 1"


def first_found(checks: list[tuple[str, str]], params) -> str | None:
    """The label of the first check whose query returns a row, or None."""
    with connection.cursor() as cursor:
        for sql, label in checks:
            cursor.execute(sql, params)
            if cursor.fetchone():
                return str(label)
    return None


def built_on(batch, model, *, object_type: str, import_action: str, changed: str) -> str | None:
    """What was done since the import on one of its created rows, or None: a row of another table referring to it
    (a service, a plan, a document…), or a change recorded in the history (`changed`, its French label)."""
    changes = (
        probe(
            "SELECT 1 FROM audit_auditentry a WHERE a.object_type = %(object_type)s AND a.object_id = l.object_id "
            f"AND {AFTER} AND a.action <> %(import_action)s",
            CREATED,
        ),
        changed,
    )
    params = {"batch": batch.pk, "applied": batch.applied_at, "object_type": object_type}
    params["import_action"] = import_action
    return first_found([*reference_checks(model, CREATED), changes], params)
