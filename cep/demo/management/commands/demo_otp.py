"""The second-factor code of the moment of each demo account that needs one (demo keys are published)."""

from django.core.management.base import BaseCommand

from cep.accounts.models import SECOND_FACTOR_ROLES
from cep.demo.accounts import ACCOUNTS, demo_totp_code
from cep.demo.guard import ensure_demo_allowed


class Command(BaseCommand):
    help = "Affiche le code à usage unique du moment des comptes de démonstration (double authentification)."
    requires_system_checks = []

    def handle(self, *args, **options):
        ensure_demo_allowed()
        for account in ACCOUNTS:
            if account.role in SECOND_FACTOR_ROLES:
                self.stdout.write(f"{account.username} : {demo_totp_code(account.username)}")
        self.stdout.write("Chaque code vaut 30 secondes et ne sert qu'une fois.")
