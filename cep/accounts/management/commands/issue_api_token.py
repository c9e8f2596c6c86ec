"""Issue a personal API token: `manage.py issue_api_token <username> [--name NAME] [--days N]`.

The key is shown once."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cep.accounts.models import User
from cep.accounts.tokens import issue_token
from cep.common.errors import RuleViolation


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un utilisateur et l'affiche une seule fois (seule son empreinte est conservée)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="Identifiant de l'utilisateur")
        parser.add_argument("--name", default="API", help="Nom du jeton (ex. « logiciel métier »)")
        parser.add_argument(
            "--days",
            type=int,
            default=settings.API_TOKEN_DEFAULT_DAYS,
            choices=settings.API_TOKEN_VALIDITY_DAYS,
            help="Durée de validité en jours",
        )

    def handle(self, *args, username, name, days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Utilisateur inconnu : « {username} ».")
        try:  # the service's checks and its history row, as for a token issued on the « Mon compte » page
            token, key = issue_token(user=user, name=name, days=days)
        except RuleViolation as exc:
            raise CommandError(exc.message)
        self.stderr.write(
            f"Jeton « {token.name} » créé pour {user.username} (préfixe {token.prefix}), valable jusqu'au "
            f"{timezone.localtime(token.expires_at):%d/%m/%Y}. "
            "Conservez-le : il ne sera plus affiché."
        )
        self.stdout.write(key)
