"""Demo accounts: fixed usernames, one shared password, deterministic API keys. Demo data only, never production."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from cep.accounts.models import ApiToken, User
from cep.accounts.rights import Role
from cep.organisations.models import Region, Structure

from . import catalogue as cat

DEMO_PASSWORD = "Demo-CEP-2026!"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    first_name: str
    last_name: str
    structure: str = ""  # structure name (counselors, managers)
    region: str = ""  # region code (regional observer)
    api_key: str = ""  # deterministic demo API key, if any


ACCOUNTS = [
    DemoAccount(
        "conseiller.ml", Role.COUNSELOR, "Camille", "Roux", cat.DEMO_ML, api_key="demo-conseiller-ml-cep-2026"
    ),
    DemoAccount(
        "responsable.ml", Role.MANAGER, "Nadia", "Benali", cat.DEMO_ML, api_key="demo-responsable-ml-cep-2026"
    ),
    DemoAccount("conseiller.ft", Role.COUNSELOR, "Julien", "Marchand", cat.DEMO_FT),
    DemoAccount("admin", Role.ADMIN, "Alice", "Administratrice"),
    DemoAccount("observateur.ara", Role.REGIONAL_OBSERVER, "Hugo", "Transitions Pro", region=cat.DEMO_REGION),
    DemoAccount("observateur.national", Role.NATIONAL_OBSERVER, "Inès", "France compétences"),
]


class MissingDemoData(Exception):
    pass


@transaction.atomic
def ensure_demo_accounts() -> list[tuple[DemoAccount, User]]:
    """Create or update the demo accounts (password, role, structure) and their demo API tokens. Idempotent."""
    structures = {s.name: s for s in Structure.objects.filter(name__in={a.structure for a in ACCOUNTS if a.structure})}
    missing = {a.structure for a in ACCOUNTS if a.structure} - set(structures)
    if missing:
        raise MissingDemoData(
            f"Structures de démonstration absentes ({', '.join(sorted(missing))}) : "
            "lancez d'abord « manage.py generate_demo »."
        )
    result = []
    for account in ACCOUNTS:
        user = User.objects.filter(username=account.username).first() or User(username=account.username)
        user.first_name, user.last_name, user.role = account.first_name, account.last_name, account.role
        user.email = f"{account.username}@demo.cep.example"
        user.structure = structures.get(account.structure)
        user.region = Region.objects.get(pk=account.region) if account.region else None
        user.is_active = True
        user.is_staff = user.is_superuser = account.role == Role.ADMIN
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            validate_password(DEMO_PASSWORD, user)
            user.set_password(DEMO_PASSWORD)
        user.save()
        if account.api_key and not ApiToken.objects.filter(key_hash=ApiToken.hash(account.api_key)).exists():
            ApiToken.issue(user, name="Démo", key=account.api_key)
        result.append((account, user))
    return result
