"""« Fichiers reçus »: the national observer reads the transmitted pseudonymised files, nothing else."""

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.audit.models import AuditEntry
from cep.reporting.exports.models import BatchStatus
from tests.factories import UserFactory
from tests.reporting.exports.export_fixtures import *  # noqa: F401,F403
from tests.reporting.exports.export_fixtures import produce, transmit

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(client):
    user = UserFactory(username="fc_national", role=Role.NATIONAL_OBSERVER, structure=None)
    client.force_login(user)
    return user


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_national_observer_downloads_a_transmitted_file_identical_to_the_senders(
    client, national, manager, structure, month_data, month
):
    batch = produce(actor=manager, month=month, structure=structure)
    assert batch.status == BatchStatus.VALIDATED
    transmit(batch, manager)
    page = client.get(reverse("reporting:received"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Lot n° {batch.pk}" in html and "Fichiers reçus" in html
    url = reverse("reporting:received_download", args=[batch.pk, "entrees"])
    assert url in html
    received = client.get(url)
    assert received.status_code == 200
    body = _body(received)
    client.force_login(manager)
    sent = _body(client.get(reverse("reporting:export_download", args=[batch.pk, "entrees"])))
    assert body == sent and body.count(b"\n") > 1
    downloads = AuditEntry.objects.filter(action="download_export_file", object_id=batch.pk)
    assert [(e.actor_id, e.after["resource"]) for e in downloads.order_by("id")] == [
        (national.pk, "entrees"),
        (manager.pk, "entrees"),
    ]


def test_a_batch_not_transmitted_is_not_received(client, national, manager, structure, month_data, month):
    batch = produce(actor=manager, month=month, structure=structure)
    client.force_login(national)
    assert f"Lot n° {batch.pk}" not in client.get(reverse("reporting:received")).content.decode()
    response = client.get(reverse("reporting:received_download", args=[batch.pk, "entrees"]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="download_export_file").exists()


@pytest.mark.parametrize("role", [Role.REGIONAL_OBSERVER, Role.MANAGER, Role.COUNSELOR])
def test_only_the_national_level_receives_files(client, structure, manager, month_data, month, role):
    batch = produce(actor=manager, month=month, structure=structure)
    transmit(batch, manager)
    extra = {"region_id": structure.region_id} if role == Role.REGIONAL_OBSERVER else {"structure": structure}
    client.force_login(UserFactory(username=f"u_{role}", role=role, **extra))
    assert client.get(reverse("reporting:received")).status_code == 403
    assert client.get(reverse("reporting:received_download", args=[batch.pk, "entrees"])).status_code == 403


def test_an_administrator_of_a_structure_does_not_receive_national_files(client, structure):
    client.force_login(UserFactory(username="admin_struct", role=Role.ADMIN, structure=structure))
    assert client.get(reverse("reporting:received")).status_code == 403


def test_month_filter_and_bad_month(client, national, manager, structure, month_data, month):
    batch = produce(actor=manager, month=month, structure=structure)
    transmit(batch, manager)
    html = client.get(reverse("reporting:received"), {"mois": f"{month:%Y-%m}"}).content.decode()
    assert f"Lot n° {batch.pk}" in html
    other_month = f"{month.year - 1}-{month.month:02d}"
    html = client.get(reverse("reporting:received"), {"mois": other_month}).content.decode()
    assert f"Lot n° {batch.pk}" not in html and "Aucun lot transmis pour ce mois" in html
    bad = client.get(reverse("reporting:received"), {"mois": "mars"})
    assert bad.status_code == 400 and "mm/aaaa" in bad.content.decode()


def test_received_list_queries_do_not_grow_with_batches(client, national, manager, structure, month_data, month):
    from cep.common.dates import add_months

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("reporting:received")).status_code == 200
        return len(ctx.captured_queries)

    transmit(produce(actor=manager, month=month, structure=structure), manager)
    queries()  # the first page of a session may refresh the session itself
    one = queries()
    for back in (1, 2, 3):
        transmit(produce(actor=manager, month=add_months(month, -back), structure=structure), manager)
    assert queries() == one <= 8
