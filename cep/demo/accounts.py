"""Demo accounts: fixed usernames, one shared password, deterministic API keys. Demo data only, never production."""

import base64
import hashlib
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cep.accounts.models import ApiToken, User
from cep.accounts.rights import Role
from cep.accounts.second_factor import TOTP_NAME, set_recovery_codes
from cep.organisations.models import Region, Structure

from . import catalogue as cat

DEMO_PASSWORD = "Demo-CEP-2026!"
# Staff with management rights sign in with a second factor: their demo TOTP key is derived from the username
# (published, like the password), and each run of `demo_accounts` gives them the same recovery codes again.
DEMO_RECOVERY_CODES = ("demo-cep-1", "demo-cep-2", "demo-cep-3", "demo-cep-4", "demo-cep-5")


def demo_totp_key(username: str) -> bytes:
    """The 20-byte TOTP key of a demo account (deterministic: printed with the accounts, never secret)."""
    return hashlib.sha1(f"cep-demo-totp:{username}".encode()).digest()


def demo_totp_secret(username: str) -> str:
    """The key as authenticator apps take it (base 32)."""
    return base64.b32encode(demo_totp_key(username)).decode()


def demo_totp_code(username: str) -> str:
    """The code of the moment (what the authenticator app would show)."""
    return f"{TOTP(demo_totp_key(username)).token():06d}"


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
        if user.needs_second_factor:
            _enrol_second_factor(user)
        if account.api_key:
            # Re-issued when missing, expired or revoked: the published demo key always works after `make run`.
            ApiToken.objects.filter(key_hash=ApiToken.hash(account.api_key)).exclude(
                revoked_at__isnull=True, expires_at__gt=timezone.now()
            ).delete()
            if not ApiToken.objects.filter(key_hash=ApiToken.hash(account.api_key)).exists():
                ApiToken.issue(user, name="Démo", key=account.api_key)
        result.append((account, user))
    return result


def _enrol_second_factor(user: User) -> None:
    """A confirmed TOTP device with the published demo key, and the published recovery codes."""
    key = demo_totp_key(user.username).hex()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or device.key != key:
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=key, confirmed=True)
    else:
        device.throttle_reset()
    set_recovery_codes(user, list(DEMO_RECOVERY_CODES))
