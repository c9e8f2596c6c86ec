"""Reset a user's lost second factor: `manage.py reset_second_factor <username>`.

For the platform's operators (observers and administrators have no structure manager to do it from the portal). The
next sign-in enrols a new authenticator; the history records the reset (author « Système »)."""

from django.core.management.base import BaseCommand, CommandError

from cep.accounts.models import User
from cep.accounts.second_factor import reset_second_factor
from cep.common.errors import RuleViolation


class Command(BaseCommand):
    help = (
        "Réinitialise la double authentification d'un utilisateur qui l'a perdue (nouvel enrôlement à la connexion)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Identifiant de l'utilisateur")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Utilisateur inconnu : « {username} ».")
        try:
            reset_second_factor(user=user, actor=None)
        except RuleViolation as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            f"Double authentification de {username} réinitialisée : elle sera de nouveau associée à la prochaine "
            "connexion."
        )
