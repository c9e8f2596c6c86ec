import functools
import re
import unicodedata

_SPACES = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=65_536)  # pure; a file of 500,000 people repeats its surnames and first names
def normalize_name(value: str) -> str:
    """Accent- and case-insensitive form of a name: 'Éloïse  D'Arc-Noël' -> 'eloise d arc noel'."""
    if not value or value.isascii():  # the same result without the Unicode decomposition (bulk imports)
        return _SPACES.sub(" ", (value or "").lower()).strip()
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ascii_only = ascii_only.replace("œ", "oe").replace("æ", "ae")
    return _SPACES.sub(" ", ascii_only).strip()


_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(rule: str, max_lengths: dict[str, int] | None = None, **fields) -> None:
    """Refuse control characters (PostgreSQL rejects NUL) and over-long values with a clear French message."""
    from .errors import Violations

    found = Violations()  # every refused field at once
    for name, value in fields.items():
        if not isinstance(value, str):
            continue
        if _FORBIDDEN.search(value):
            found.add(rule, "Ce texte contient des caractères non autorisés.", field=name)
            continue
        limit = (max_lengths or {}).get(name)
        if limit is not None and len(value) > limit:
            found.add(rule, f"Ce texte ne dépasse pas {limit} caractères.", field=name)
    found.raise_if_any()


def model_max_lengths(model) -> dict[str, int]:
    return {f.name: f.max_length for f in model._meta.concrete_fields if getattr(f, "max_length", None)}


def de_name(name) -> str:
    """« de » before a name, elided before a vowel sound: « d'Aurélie », « d'Amélie Godard », « de Léa ».

    A name starting with a vowel (accented or not) is elided; an « h » is not (aspirated or not, it cannot be told
    from the name alone), nor a « y » (Yann, Yasmine).
    """
    text = str(name or "").strip()
    if not text:
        return "de"
    first = unicodedata.normalize("NFD", text[0])[0].lower()
    return f"d'{text}" if first in "aeiou" else f"de {text}"


# --- Search words ------------------------------------------------------------------------------------------
# The dossier search (cep/enrolments/queries.py) reads a table of words, beneficiaries_nameword, kept in step by
# PostgreSQL triggers (migration beneficiaries 0006_search_words) from `search_name` (already normalised here, in
# Python) and the phone number. The SQL function cep_search_words() and `search_words` below must agree: a test
# compares them (tests/common/test_search_text.py).

MIN_PHONE_DIGITS = 6  # fewer digits typed are not a phone number (nor indexed as one)


def phone_digits(value: str) -> str:
    """The national digits of a phone number: '+33 6 12-34.56.78' -> '0612345678'; '' when too short."""
    digits = "".join(c for c in (value or "") if c in "0123456789")
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def search_words(search_name: str, phone: str = "") -> set[str]:
    """The words stored for a dossier: those of its normalised name, and its phone digits."""
    words = {w for w in (search_name or "").split(" ") if w}
    digits = phone_digits(phone)
    if digits:
        words.add(digits)
    return words


def damerau_levenshtein_at_most_one(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one letter wrong, missing or extra, or two neighbours swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:  # one letter wrong
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]  # swapped
    if la > lb:
        a, b = b, a
    return a[i:] == b[i + 1 :]  # one letter missing in the shorter


_WORD_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def typo_variants(word: str) -> set[str]:
    """Every lower-case word at Damerau-Levenshtein distance ≤ 1 of `word` (letters a–z), `word` included.

    A few hundred strings for a name: the search looks them up as they are in the words index of one structure
    (exact keys), which costs a few index probes instead of reading every word of the structure.
    """
    out = {word}
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        for c in _WORD_ALPHABET:
            out.add(head + c + tail)  # one letter extra
            if tail:
                out.add(head + c + tail[1:])  # one letter wrong
        if tail:
            out.add(head + tail[1:])  # one letter missing
        if len(tail) > 1:
            out.add(head + tail[1] + tail[0] + tail[2:])  # two neighbours swapped
    out.discard("")
    return out
