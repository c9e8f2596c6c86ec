"""Every date field says « jj/mm/aaaa » under its label; month fields say « mm/aaaa » (and use a month picker)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INPUT = re.compile(r"<input[^>]*>")


def _fields(html: str, kind: str) -> list[str]:
    return [tag for tag in INPUT.findall(html) if f'type="{kind}"' in tag]


def _hint_of(html: str, tag: str) -> str:
    field_id = re.search(r'id="([^"]+)"', tag).group(1)
    label = re.search(rf'<label[^>]*for="{re.escape(field_id)}"[^>]*>(.*?)</label>', html, re.S)
    return label.group(1) if label else ""


def _pages(beneficiary, cep):
    return [
        reverse("web:beneficiary_create"),
        reverse("web:beneficiary_search"),
        reverse("web:identity", args=[beneficiary.pk]),
        reverse("web:cep_add", args=[beneficiary.pk]),
        reverse("web:cep_phase3", args=[cep.pk]),
        reverse("web:cep_close", args=[cep.pk]),
        reverse("web:event_add", args=[beneficiary.pk]),
        reverse("web:events", args=[beneficiary.pk]),
        reverse("manager:offer_create"),
    ]


def test_every_date_field_has_the_jj_mm_aaaa_hint(client, manager, beneficiary, open_cep):
    cep = open_cep()
    client.force_login(manager)
    seen = 0
    for url in _pages(beneficiary, cep):
        html = client.get(url).content.decode()
        for tag in _fields(html, "date"):
            seen += 1
            assert "jj/mm/aaaa" in _hint_of(html, tag), (url, tag)
    assert seen >= 10


def test_month_fields_are_month_pickers_with_the_mm_aaaa_hint(client, manager):
    client.force_login(manager)
    seen = 0
    for url in (reverse("reporting:dashboard"), reverse("reporting:exports")):
        html = client.get(url).content.decode()
        for tag in _fields(html, "month"):
            seen += 1
            hint = _hint_of(html, tag)
            assert "mm/aaaa" in hint and "AAAA-MM" not in hint, (url, tag)
    assert seen >= 2


def test_a_month_typed_mm_aaaa_is_read():
    import datetime

    from cep.common.months import parse_month

    assert parse_month("03/2024") == parse_month("2024-03") == datetime.date(2024, 3, 1)
    with pytest.raises(ValueError, match="mm/aaaa"):
        parse_month("13/2024")
