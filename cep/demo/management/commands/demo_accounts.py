from django.core.management.base import BaseCommand, CommandError

from cep.accounts.rights import Role
from cep.demo.accounts import (
    DEMO_PASSWORD,
    DEMO_RECOVERY_CODES,
    MissingDemoData,
    demo_totp_secret,
    ensure_demo_accounts,
)
from cep.demo.guard import ensure_demo_allowed


class Command(BaseCommand):
    help = "Crée ou met à jour les comptes de démonstration et affiche identifiants, mot de passe et jetons d'API."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="adresse du serveur pour l'exemple")

    def handle(self, *args, **options):
        ensure_demo_allowed()
        try:
            accounts = ensure_demo_accounts()
        except MissingDemoData as exc:
            raise CommandError(str(exc))
        rows = [("Identifiant", "Mot de passe", "Rôle", "Structure ou périmètre")]
        for account, user in accounts:
            if user.structure:
                scope = user.structure.name
            elif user.region:
                scope = f"Transitions Pro {user.region.name}"
            elif account.role == Role.NATIONAL_OBSERVER:
                scope = "France compétences (national)"
            else:
                scope = "toutes les structures"
            rows.append((account.username, DEMO_PASSWORD, Role(account.role).label, scope))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
        out = ["", "Comptes de démonstration (données fictives, à ne jamais utiliser en production)", line]
        for i, row in enumerate(rows):
            out.append("| " + " | ".join(value.ljust(w) for value, w in zip(row, widths, strict=True)) + " |")
            if i == 0:
                out.append(line)
        out.append(line)
        base = options["base_url"].rstrip("/")
        second = [(account, user) for account, user in accounts if user.needs_second_factor]
        if second:
            out.append("")
            out.append(
                "Double authentification (responsable, administrateur, observateurs) : après le mot de passe, "
                "saisissez un code de secours"
            )
            out.append(
                f"  ({', '.join(DEMO_RECOVERY_CODES)} : chacun sert une fois par lancement de la démonstration), "
                "ou le code du moment,"
            )
            out.append(
                "  affiché par « uv run python manage.py demo_otp », ou par une application d'authentification "
                "(TOTP) avec la clé :"
            )
            for account, _user in second:
                out.append(f"  {account.username} : {demo_totp_secret(account.username)}")
        out.append("")
        out.append("Jetons d'API de démonstration (en-tête « Authorization: Bearer <jeton> ») :")
        for account, user in accounts:
            if account.api_key:
                out.append(f"  {account.username} ({user.structure.name}) : {account.api_key}")
        first = next(a for a, _ in accounts if a.api_key)
        out.append("")
        out.append("Exemples :")
        out.append(
            f'  curl -H "Authorization: Bearer {first.api_key}" "{base}/api/v1/beneficiaries?name=martin&limit=5"'
        )
        out.append(f'  curl -H "Authorization: Bearer {first.api_key}" "{base}/api/v1/referentials"')
        out.append(f"Documentation de l'API : {base}/api/v1/docs — portail : {base}/")
        out.append("")
        self.stdout.write("\n".join(out))
