"""`manage.py db_roles --owner NOM --app NOM [--password-from-env]`: the owner and application roles of the database.

Run by an administrator, connected (DATABASE_URL) as a superuser of the PostgreSQL server. Idempotent: creates or
updates both roles, gives the owner every object of the schema, grants the application role its DML rights (and only
SELECT and INSERT on the history tables), and prints each step in French. See cep/audit/db_roles.py.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from cep.audit.db_roles import RoleError, apply_roles

OWNER_PASSWORD = "DATABASE_OWNER_PASSWORD"
APP_PASSWORD = "DATABASE_APP_PASSWORD"


class Command(BaseCommand):
    help = "Crée ou met à jour le rôle propriétaire (migrations) et le rôle applicatif (sans TRUNCATE ni ALTER)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="rôle propriétaire du schéma (migrations)")
        parser.add_argument("--app", required=True, help="rôle de l'application (serveur, tâches de fond)")
        parser.add_argument(
            "--password-from-env",
            action="store_true",
            help=f"définit les mots de passe lus dans {OWNER_PASSWORD} et {APP_PASSWORD}",
        )

    def handle(self, *args, owner, app, password_from_env=False, **options):
        passwords = {}
        if password_from_env:
            for key, variable in (("owner_password", OWNER_PASSWORD), ("app_password", APP_PASSWORD)):
                value = os.environ.get(variable, "")
                if not value:
                    raise CommandError(f"--password-from-env : la variable {variable} est vide ou absente.")
                passwords[key] = value
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                report = apply_roles(cursor, owner=owner, app=app, **passwords)
        except RoleError as exc:
            raise CommandError(str(exc))
        except DatabaseError as exc:
            raise CommandError(
                f"PostgreSQL a refusé une étape (rien n'a été modifié) : {exc}. Lancez la commande avec un compte "
                "superutilisateur dans DATABASE_URL."
            )
        for line in report:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Rôles prêts : migrations avec {owner}, application avec {app}."))
