"""The identity pseudonym: one per person, the same in every structure of the deployment (issue 11, part 1).

`identity_pseudonym` is HMAC-SHA-256, truncated to 32 hexadecimal characters, of the person's normalised identity
« nom de naissance | prénom | date de naissance | sexe » under a key derived from the deployment's pseudonym
secret (settings.PSEUDONYM_SECRET). The derived key is HMAC(secret, IDENTITY_KEY_LABEL): a pseudonym of one kind
can never be compared with, or replayed as, a pseudonym of another kind (dossier, CEP, service).

Normalisation (docs/decisions.md, « Pseudonyme d'identité »): accents, case, spaces, hyphens and apostrophes are
ignored (« Jean-Pierre » = « JEAN PIERRE »), the birth name is the usage name when no birth name is recorded.
Two homonyms born the same day of the same sex share the pseudonym: that residual risk is measured and accepted
(docs/decisions.md); it only ever produces a warning, never a refusal.

A dossier anonymised before its pseudonym was computed (retention, cep/retention) has no identity left to hash:
it gets `dossier_identity_pseudonym(person_key)`, a pseudonym of its own under the same derived key.
"""

import datetime
import hashlib
import hmac

from django.conf import settings

from cep.common.text import normalize_name

LENGTH = 32
IDENTITY_KEY_LABEL = b"cep:identity-pseudonym:v1"


def identity_key(secret: str | bytes | None = None) -> bytes:
    secret = settings.PSEUDONYM_SECRET if secret is None else secret
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, IDENTITY_KEY_LABEL, hashlib.sha256).digest()


def _compact(value: str) -> str:
    return normalize_name(value).replace(" ", "")


def canonical_identity(*, last_name: str, birth_name: str, first_name: str, birth_date, sex: str) -> str:
    day = birth_date.isoformat() if isinstance(birth_date, datetime.date) else str(birth_date)
    return f"{_compact(birth_name or last_name)}|{_compact(first_name)}|{day}|{sex}"


def identity_pseudonym(
    *, last_name: str, birth_name: str, first_name: str, birth_date, sex: str, key: bytes | None = None
) -> str:
    message = canonical_identity(
        last_name=last_name, birth_name=birth_name, first_name=first_name, birth_date=birth_date, sex=sex
    )
    return hmac.new(key or identity_key(), message.encode(), hashlib.sha256).hexdigest()[:LENGTH]


def dossier_identity_pseudonym(person_key, key: bytes | None = None) -> str:
    return hmac.new(key or identity_key(), f"dossier:{person_key}".encode(), hashlib.sha256).hexdigest()[:LENGTH]


def of(beneficiary) -> str:
    """The pseudonym of a dossier's current identity."""
    return identity_pseudonym(
        last_name=beneficiary.last_name,
        birth_name=beneficiary.birth_name,
        first_name=beneficiary.first_name,
        birth_date=beneficiary.birth_date,
        sex=beneficiary.sex,
    )
