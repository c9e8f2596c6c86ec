"""Around every `migrate`: refuse to run it as a role that cannot change the schema, and keep the history tables
append-only for every role but their owner (a history table created by a later migration included)."""

from django.core.management.base import CommandError
from django.db import connections

from . import db_roles


def refuse_migrate_without_owner(sender, using, **kwargs):
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT current_user, has_schema_privilege(current_user, %s, 'CREATE'), "
            "coalesce(pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = to_regclass(%s)), "
            "'USAGE'), true)",
            [db_roles.SCHEMA, "django_migrations"],
        )
        role, can_create, owns_migrations = cursor.fetchone()
    if not (can_create and owns_migrations):
        raise CommandError(
            f"Le rôle {role} ne peut pas modifier le schéma : lancez les migrations avec le rôle propriétaire, "
            'DATABASE_URL="$DATABASE_OWNER_URL" python manage.py migrate (voir le README, section Production).'
        )


def restrict_history_grants(sender, using, stdout=None, **kwargs):
    with connections[using].cursor() as cursor:
        db_roles.restrict_history_grants(cursor)
        owner, strays = db_roles.stray_objects(cursor)
    if strays and stdout is not None:
        stdout.write(
            f"Attention : {strays} objet(s) du schéma n'appartiennent pas au rôle propriétaire {owner} (migration "
            "lancée avec un autre rôle ?) ; le rôle applicatif n'y a aucun droit : relancez manage.py db_roles."
        )
