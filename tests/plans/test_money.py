from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cep.common.errors import RuleViolation
from cep.plans.money import ZERO, Line, euros, parse_amount, totals

amounts = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
lines = st.lists(
    st.builds(
        Line,
        amount=st.one_of(st.none(), amounts),
        status=st.sampled_from(["envisage", "sollicite", "accorde", "refuse"]),
        is_person=st.booleans(),
    ),
    max_size=30,
)


@given(lines=lines, cost=amounts)
def test_reste_a_charge_is_cost_minus_granted_never_negative(lines, cost):
    result = totals(lines, cost)
    granted = sum((x.amount for x in lines if x.status == "accorde" and not x.is_person and x.amount), ZERO)
    assert result.granted == granted
    assert result.reste_a_charge == max(cost - granted, ZERO)
    assert result.reste_a_charge >= 0 and result.reste_a_charge <= cost
    assert result.reste_a_charge_expected <= result.reste_a_charge
    assert result.expected >= result.granted
    # exact cents: no float ever crept in
    for value in (result.expected, result.granted, result.person, result.reste_a_charge):
        assert isinstance(value, Decimal) and value == value.quantize(Decimal("0.01"))


@given(lines=lines, cost=amounts)
def test_refused_lines_and_the_person_never_lower_the_reste_a_charge(lines, cost):
    kept = [x for x in lines if x.status != "refuse" and not x.is_person]
    assert totals(lines, cost).reste_a_charge == totals(kept, cost).reste_a_charge


@given(amount=amounts)
def test_amount_round_trips_through_its_french_text(amount):
    text = euros(amount).replace("\xa0€", "")
    assert parse_amount(text) == amount


@pytest.mark.parametrize("value", ["-0.01", 1.5, "1e400", "NaN", "12,345"])
def test_amount_refusals(value):
    with pytest.raises(RuleViolation):
        parse_amount(value)
