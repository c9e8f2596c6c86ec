"""Issue a personal API token: `manage.py issue_api_token <username> [--name NAME]`. The key is shown once."""

from django.core.management.base import BaseCommand, CommandError

from cep.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un utilisateur et l'affiche une seule fois (seule son empreinte est conservée)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="Identifiant de l'utilisateur")
        parser.add_argument("--name", default="API", help="Nom du jeton (ex. « logiciel métier »)")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Utilisateur inconnu : « {username} ».")
        if not user.is_active:
            raise CommandError(f"Le compte « {username} » est désactivé : aucun jeton ne peut être émis.")
        if len(name) > 100:
            raise CommandError("Le nom du jeton ne dépasse pas 100 caractères.")
        token, key = ApiToken.issue(user, name=name)
        self.stderr.write(
            f"Jeton « {token.name} » créé pour {user.username} (préfixe {token.prefix}). "
            "Conservez-le : il ne sera plus affiché."
        )
        self.stdout.write(key)
