"""Authentication backend: Django's ModelBackend, whose user of each request is read with one plain SELECT.

Every signed-in request loads its user; every page then shows the user's structure in its header and checks
rights against it (or against the région of a regional observer). Here the user, its structure and its région
come in one query whose text is built once per process from the models' metadata, and the instances are made
with Model.from_db and the fields' own database converters, as the ORM does: the same objects as
`User.objects.select_related("structure", "region").get(pk=…)`, for about a quarter of its CPU (building that
query through the ORM took 0.4 to 0.8 ms on every request). Same checks as the parent: an inactive or unknown
user gets no session user; the session's password hash is checked by django.contrib.auth as before.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

RELATED = ("structure", "region")  # the user's foreign keys read with it


@cache
def _plan(alias: str):
    """SQL, and per model (the user, then each related): its field names, its slice of the row, where its primary
    key is in that slice, its converters."""
    user_model = get_user_model()
    connection = connections[alias]
    quote = connection.ops.quote_name
    models = [(user_model, "u", None)]
    joins = []
    for n, name in enumerate(RELATED):
        field = user_model._meta.get_field(name)
        related = field.related_model
        table = f"r{n}"
        models.append((related, table, field))
        target = field.target_field.column
        joins.append(
            f"LEFT JOIN {quote(related._meta.db_table)} {table} ON {table}.{quote(target)} = u.{quote(field.column)}"
        )
    columns, parts, start = [], [], 0
    for model, table, field in models:
        fields = model._meta.concrete_fields
        columns += [f"{table}.{quote(f.column)}" for f in fields]
        converters = []
        for i, f in enumerate(fields):
            col = f.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((start + i, found, col))
        names = [f.attname for f in fields]
        span = slice(start, start + len(fields))
        parts.append((model, field, names, span, names.index(model._meta.pk.attname), converters))
        start += len(fields)
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(user_model._meta.db_table)} u {' '.join(joins)} "
        f"WHERE u.{quote(user_model._meta.pk.column)} = %s"
    )
    return sql, parts


def load_user(user_id):
    """The user of primary key `user_id` with its structure and région cached on it, or None."""
    user_model = get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    alias = router.db_for_read(user_model)
    connection = connections[alias]
    sql, parts = _plan(alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    user = None
    for model, field, names, span, pk_index, converters in parts:
        for index, functions, col in converters:
            for convert in functions:
                row[index] = convert(row[index], col, connection)
        values = row[span]
        if user is None:
            user = model.from_db(alias, names, values)
        elif values[pk_index] is not None:  # LEFT JOIN: no structure (observers) or no région
            field.set_cached_value(user, model.from_db(alias, names, values))
    return user


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
