import datetime

from cep.referentials.models import ExitReason


def test_list_of_referentials(api):
    names = {r["name"] for r in api.get("referentials").json()}
    assert {"exit-reasons", "orientation-sources", "request-reasons", "event-natures"} <= names


def test_values_carry_code_label_and_validity(api, django_assert_max_num_queries):
    ExitReason.objects.filter(pk="demenagement").update(valid_to=datetime.date(2020, 12, 31))
    with django_assert_max_num_queries(2):
        values = api.get("referentials/exit-reasons").json()
    by_code = {v["code"]: v for v in values}
    assert by_code["plan_action_realise"]["label"] == "Plan d'action réalisé"
    assert by_code["demenagement"]["valid_to"] == "2020-12-31"
    assert set(by_code["deces"]) == {"code", "label", "valid_from", "valid_to"}


def test_unknown_referential_is_422(api):
    response = api.get("referentials/unknown")
    assert response.status_code == 422 and response.json()["field"] == "name"


def test_network_plural_is_reseaux(api):
    labels = {r["name"]: r["label"] for r in api.get("referentials").json()}
    assert labels["networks"] == "réseaux"
