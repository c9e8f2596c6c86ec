"""`{{ amount|euros }}`: « 1 234,50 € » (cep.plans.money.euros), « — » when there is no amount."""

from django import template

from cep.plans.money import euros as _euros

register = template.Library()


@register.filter
def euros(value) -> str:
    return _euros(value)
