"""Keyed pseudonyms (HMAC-SHA-256 with settings.PSEUDONYM_SECRET), in Python and as a SQL expression.

The person's pseudonym is the HMAC of `Beneficiary.person_key` (its canonical UUID text): stable across months,
different under another deployment secret, and never derived from the name. CEPs and services get a pseudonym
of "cep:<id>" / "service:<id>" so that files reveal neither internal ids nor volumes. The SQL form computes
the same HMAC with PostgreSQL's built-in sha256() (no extension): HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)),
the two padded keys being computed here and passed as parameters.
"""

import hashlib
import hmac

from django.conf import settings

LENGTH = 32  # hexadecimal characters kept (128 bits)
BLOCK = 64  # SHA-256 block size


def _secret() -> bytes:
    secret = settings.PSEUDONYM_SECRET
    return secret.encode() if isinstance(secret, str) else bytes(secret)


def pseudonym(value: str) -> str:
    return hmac.new(_secret(), str(value).encode(), hashlib.sha256).hexdigest()[:LENGTH]


def person_pseudonym(person_key) -> str:
    return pseudonym(str(person_key))


def cep_pseudonym(cep_id: int) -> str:
    return pseudonym(f"cep:{cep_id}")


def service_pseudonym(service_id: int) -> str:
    return pseudonym(f"service:{service_id}")


def sql_params() -> dict[str, bytes]:
    """The inner and outer padded keys, as bytea parameters for `sql_expression`."""
    key = _secret()
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return {
        "hmac_ikey": bytes(b ^ 0x36 for b in key),
        "hmac_okey": bytes(b ^ 0x5C for b in key),
    }


def sql_expression(text_sql: str) -> str:
    """SQL computing pseudonym(<text_sql>) with the parameters of `sql_params`."""
    return (
        f"left(encode(sha256(%(hmac_okey)s::bytea || sha256(%(hmac_ikey)s::bytea || "
        f"convert_to({text_sql}, 'UTF8'))), 'hex'), {LENGTH})"
    )
