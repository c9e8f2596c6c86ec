"""The cursors of the batch pages (web/reporting/exports.py, received.py) go through the keyset codec: pages chain,
tampering is the first page.

`"²".isdigit()` is True and `int("²")` raises: the pages used to parse « avant » and « apres » that way.
"""

import datetime
import functools

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.common import keyset
from cep.reporting.exports import queries, received
from cep.reporting.exports.models import BatchStatus, ExportBatch, JobState, Scope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TAMPERED = ["²", "12²", "-1", "0", "abc", "%%%", "1" * 40, keyset.encode(("x", 1))]
# A NUL byte never reaches the page: the query-string guard refuses it (web.middleware, French 400).
REFUSED = ["\x00", "1\x00"]


@pytest.fixture
def five_batches(structure, manager):
    return [
        ExportBatch.objects.create(
            scope=Scope.STRUCTURE,
            structure=structure,
            month=datetime.date(2025, month, 1),
            contract_version="1.1.0",
            status=BatchStatus.TRANSMITTED,
            job_state=JobState.DONE,
            created_by=manager,
        )
        for month in range(1, 6)
    ]


def _walk(client, url, monkeypatch, module, name) -> list[int]:
    monkeypatch.setattr(module, name, functools.partial(getattr(module, name), size=2))
    seen, params = [], {}
    for _ in range(5):
        response = client.get(url, params)
        assert response.status_code == 200
        seen += [b.pk for b in response.context["batches"]]
        if not response.context["next_cursor"]:
            return seen
        assert response.context["is_first_page"] is not params.get("avant", False)
        params = {"avant": response.context["next_cursor"]}
    raise AssertionError("too many pages")


def test_batch_list_pages_chain_and_tampered_cursors_are_the_first_page(client, manager, five_batches, monkeypatch):
    client.force_login(manager)
    url = reverse("reporting:exports")
    seen = _walk(client, url, monkeypatch, queries, "batch_page")
    assert seen == sorted((b.pk for b in five_batches), reverse=True)
    for text in REFUSED:
        assert client.get(url, {"avant": text}).status_code == 400
    for text in TAMPERED:
        response = client.get(url, {"avant": text})
        assert response.status_code == 200, text
        assert response.context["is_first_page"] and [b.pk for b in response.context["batches"]] == seen[:2]


def test_received_list_pages_chain_and_tampered_cursors_are_the_first_page(client, five_batches, monkeypatch):
    client.force_login(UserFactory(username="fc_national", role=Role.NATIONAL_OBSERVER, structure=None))
    url = reverse("reporting:received")
    seen = _walk(client, url, monkeypatch, received, "received_page")
    assert seen == sorted((b.pk for b in five_batches), reverse=True)
    for text in REFUSED:
        assert client.get(url, {"avant": text}).status_code == 400
    for text in TAMPERED:
        response = client.get(url, {"avant": text})
        assert response.status_code == 200, text
        assert response.context["is_first_page"]


def test_batch_lines_cursor_refuses_tampering(client, manager, five_batches):
    client.force_login(manager)
    url = reverse("reporting:export_detail", args=[five_batches[0].pk])
    for text in ["entrees:²", "entrees:12²", ":", "entrees:", "²", keyset.encode((1, 2))]:
        assert client.get(url, {"apres": text}).status_code == 200, text
