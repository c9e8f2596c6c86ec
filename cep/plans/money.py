"""Amounts in euros with cents (Decimal, never float) and the totals of a financing plan.

The reste à charge is computed, never typed: the total cost of the path minus what the funders other than the
person have granted (the person's own contribution is part of the reste à charge, not a funding that lowers it).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cep.common.errors import RuleViolation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NNBSP, NBSP = "\u202f", "\xa0"
MAX_AMOUNT = Decimal("99999999.99")  # DecimalField(max_digits=10, decimal_places=2)


def parse_amount(value, *, field: str = "amount", required: bool = False) -> Decimal | None:
    """A Decimal with at most two decimals, 0 ≤ amount ≤ 99 999 999,99, from a Decimal, an int or a string
    (« 1 234,50 » accepted). A float is refused: its binary value is not the amount typed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RuleViolation("FINANCEMENT", "Le montant est obligatoire.", field=field)
        return None
    if isinstance(value, float) or isinstance(value, bool):
        raise RuleViolation(
            "FINANCEMENT", "Le montant s'écrit en euros et centimes, pas en nombre flottant.", field=field
        )
    try:
        text = (
            value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
            if isinstance(value, str)
            else value
        )
        amount = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        raise RuleViolation("FINANCEMENT", "Le montant n'est pas un nombre (ex. : 1 234,50).", field=field) from None
    if not amount.is_finite():
        raise RuleViolation("FINANCEMENT", "Le montant n'est pas un nombre (ex. : 1 234,50).", field=field)
    if amount < 0:
        raise RuleViolation("FINANCEMENT", "Le montant ne peut pas être négatif.", field=field)
    if amount > MAX_AMOUNT:
        raise RuleViolation("FINANCEMENT", "Le montant dépasse 99 999 999,99 €.", field=field)
    if amount != amount.quantize(CENT):
        raise RuleViolation("FINANCEMENT", "Le montant a au plus deux décimales (les centimes).", field=field)
    if amount > MAX_AMOUNT:
        raise RuleViolation("FINANCEMENT", "Le montant dépasse 99 999 999,99 €.", field=field)
    return amount.quantize(CENT)


def euros(amount: Decimal | None) -> str:
    """« 1 234,50 € » (narrow no-break space between thousands, as in French typography)."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount).quantize(CENT):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"


@dataclass(frozen=True)
class Line:
    amount: Decimal | None
    status: str  # FundingStatus value
    is_person: bool


@dataclass(frozen=True)
class Totals:
    total_cost: Decimal
    expected: Decimal  # envisaged, requested or granted by funders other than the person
    granted: Decimal  # granted by funders other than the person
    person: Decimal  # the person's own contribution (not refused)
    reste_a_charge: Decimal  # total cost minus granted, never below zero
    reste_a_charge_expected: Decimal  # total cost minus expected, never below zero


def totals(lines: Iterable[Line], total_cost: Decimal) -> Totals:
    expected = granted = person = ZERO
    for line in lines:
        if line.amount is None or line.status == "refuse":
            continue
        if line.is_person:
            person += line.amount
        else:
            expected += line.amount
            if line.status == "accorde":
                granted += line.amount
    return Totals(
        total_cost=total_cost,
        expected=expected,
        granted=granted,
        person=person,
        reste_a_charge=max(total_cost - granted, ZERO),
        reste_a_charge_expected=max(total_cost - expected, ZERO),
    )
