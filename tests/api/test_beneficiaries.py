import datetime
from urllib.parse import urlencode

from cep.audit.models import AuditEntry, SensitiveAccess
from cep.beneficiaries.models import Beneficiary
from tests.api.conftest import with_errors
from tests.clock import today
from tests.factories import BeneficiaryFactory


def beneficiary_body() -> dict:
    """A complete dossier to create (first received 10 days ago)."""
    return {
        "last_name": "Noël-Dupré",
        "first_name": "Éloïse",
        "sex": "F",
        "birth_date": "1990-05-17",
        "commune": "2A004",
        "employment_status": "demandeur_emploi_non_indemnise",
        "qualification_level": "niveau_4",
        "first_reception_date": str(today() - datetime.timedelta(days=10)),
        "has_rqth": True,
    }


def test_create_then_read_without_rqth(api, counselor):
    response = api.post("beneficiaries", beneficiary_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["last_name"] == "Noël-Dupré" and body["commune"] == "2A004" and body["region"] == "94"
    assert body["referent_id"] == counselor.pk and body["status"] == "incomplete"
    assert "has_rqth" not in body
    beneficiary = Beneficiary.objects.get(pk=body["id"])
    assert beneficiary.has_rqth is True and beneficiary.structure_id == counselor.structure_id
    read = api.get(f"beneficiaries/{beneficiary.pk}").json()
    assert "has_rqth" not in read and "rqth" not in str(read).lower()
    assert not SensitiveAccess.objects.exists()


def test_rqth_read_is_logged(api, counselor, beneficiary):
    response = api.get(f"beneficiaries/{beneficiary.pk}?include=rqth")
    assert response.status_code == 200
    assert response.json()["has_rqth"] is False
    access = SensitiveAccess.objects.get()
    assert (access.actor_id, access.beneficiary_id, access.channel, access.field) == (
        counselor.pk,
        beneficiary.pk,
        "api",
        "rqth",
    )


def test_unknown_include_is_422(api, beneficiary):
    response = api.get(f"beneficiaries/{beneficiary.pk}?include=secret")
    assert response.status_code == 422 and response.json()["field"] == "include"
    assert not SensitiveAccess.objects.exists()


def test_patch_changes_only_what_is_sent(api, beneficiary):
    response = api.patch(f"beneficiaries/{beneficiary.pk}", {"phone": "0601020304", "employment_status": "etudiant"})
    assert response.status_code == 200, response.content
    beneficiary.refresh_from_db()
    assert beneficiary.phone == "0601020304" and beneficiary.employment_status_id == "etudiant"
    assert AuditEntry.objects.filter(action="update_beneficiary", object_id=beneficiary.pk).exists()


def test_patch_null_on_required_field_is_422(api, beneficiary):
    response = api.patch(f"beneficiaries/{beneficiary.pk}", {"last_name": None})
    assert response.status_code == 422 and response.json()["field"] == "last_name"


def test_justified_dossier_must_stay_complete(api, beneficiary):
    response = api.patch(f"beneficiaries/{beneficiary.pk}", {"commune": None})
    assert response.status_code == 409
    assert response.json()["code"] == "R1" and response.json()["field"] == "commune"
    beneficiary.refresh_from_db()
    assert beneficiary.commune_id == "2A004"


def test_justify(api, structure, counselor):
    incomplete = BeneficiaryFactory(structure=structure, referent=counselor, status="incomplete", justified_at=None)
    response = api.post(f"beneficiaries/{incomplete.pk}/justify")
    assert response.status_code == 200 and response.json()["status"] == "justified"


def test_justify_incomplete_dossier_is_refused(api, structure, counselor):
    incomplete = BeneficiaryFactory(
        structure=structure, referent=counselor, status="incomplete", justified_at=None, commune=None
    )
    response = api.post(f"beneficiaries/{incomplete.pk}/justify")
    assert response.status_code == 409
    assert response.json()["code"] == "R1" and "commune" in response.json()["message"]
    incomplete.refresh_from_db()
    assert incomplete.status == "incomplete"


def test_unknown_code_is_422_with_field(api):
    response = api.post("beneficiaries", {**beneficiary_body(), "qualification_level": "niveau_99"})
    assert response.status_code == 422
    assert response.json()["field"] == "qualification_level" and "niveau_99" in response.json()["message"]
    assert not Beneficiary.objects.exists()


def test_no_longer_valid_code_is_409_referentiel(api):
    from cep.referentials.models import QualificationLevel

    QualificationLevel.objects.filter(pk="niveau_4").update(valid_to=today() - datetime.timedelta(days=1))
    response = api.post("beneficiaries", beneficiary_body())
    assert response.status_code == 409 and response.json()["field"] == "qualification_level"
    assert response.json()["code"] == "REFERENTIEL" and "en vigueur" in response.json()["message"]


def test_referent_of_another_structure_is_409_referentiel(api, other_counselor):
    response = api.post("beneficiaries", {**beneficiary_body(), "referent": other_counselor.pk})
    assert response.status_code == 409 and response.json()["field"] == "referent"


def test_malformed_input_is_422_in_french(api):
    response = api.post("beneficiaries", {**beneficiary_body(), "birth_date": "17/05/1990", "colour": "bleu"})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "VALIDATION" and body["field"] == "birth_date"
    assert {"field": "colour", "message": "Champ inconnu."} in body["errors"]
    bad_json = api.client.post("/api/v1/beneficiaries", data="{", content_type="application/json", **api.headers)
    assert bad_json.status_code == 422 and "JSON" in bad_json.json()["message"]


def test_nul_character_is_422_not_500(api):
    response = api.post("beneficiaries", {**beneficiary_body(), "last_name": "A\x00B"})
    assert response.status_code == 422 and response.json()["field"] == "last_name"
    assert api.get("beneficiaries?name=a%00b").status_code == 422


def test_business_refusal_is_409(api):
    response = api.post("beneficiaries", {**beneficiary_body(), "first_reception_date": "1980-01-01"})
    assert response.status_code == 409
    assert response.json() == with_errors(
        {
            "code": "DOSSIER",
            "message": "La date de premier accueil est antérieure à la date de naissance.",
            "field": "first_reception_date",
            "details": None,
            "doc": "/docs/regles-cep#dossier",
        }
    )


def test_search_is_accent_and_case_insensitive(api, structure, counselor):
    wanted = BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Zoé")
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Paul")
    items = api.get("beneficiaries?name=LEFEVRE zoe").json()["items"]
    assert [b["id"] for b in items] == [wanted.pk]
    assert all("has_rqth" not in b for b in items)


def test_search_filters(api, structure, counselor, manager):
    a = BeneficiaryFactory(structure=structure, referent=manager, birth_date=datetime.date(1985, 3, 2))
    BeneficiaryFactory(structure=structure, referent=counselor, birth_date=datetime.date(1985, 3, 2))
    BeneficiaryFactory(structure=structure, referent=manager, status="incomplete", justified_at=None)
    ids = [b["id"] for b in api.get(f"beneficiaries?birth_date=1985-03-02&referent={manager.pk}").json()["items"]]
    assert ids == [a.pk]
    statuses = {b["status"] for b in api.get("beneficiaries?status=incomplete").json()["items"]}
    assert statuses == {"incomplete"}


def test_keyset_pagination_walks_every_row_once(api, structure):
    created = {BeneficiaryFactory(structure=structure).pk for _ in range(7)}
    seen, cursor = [], None
    for _ in range(10):
        page = api.get("beneficiaries?limit=3" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [b["id"] for b in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    names = [Beneficiary.objects.get(pk=pk).search_name for pk in seen]
    assert names == sorted(names)


def test_bad_cursor_and_limit_are_422(api):
    assert api.get("beneficiaries?cursor=@@@").json()["field"] == "cursor"
    assert api.get("beneficiaries?limit=101").status_code == 422


def test_search_query_count_does_not_grow(api, structure, django_assert_max_num_queries):
    for _ in range(3):
        BeneficiaryFactory(structure=structure)
    with django_assert_max_num_queries(2):
        assert len(api.get("beneficiaries").json()["items"]) == 3
    for _ in range(30):
        BeneficiaryFactory(structure=structure)
    with django_assert_max_num_queries(2):
        assert len(api.get("beneficiaries?limit=100").json()["items"]) == 33


def test_rqth_reads_through_the_api_are_logged_once_each(api, counselor, beneficiary):
    def logged() -> int:
        return SensitiveAccess.objects.filter(beneficiary_id=beneficiary.pk, channel="api", field="rqth").count()

    api.get(f"beneficiaries/{beneficiary.pk}")
    api.get("beneficiaries")
    api.patch(f"beneficiaries/{beneficiary.pk}", {"phone": "0601020304"})
    assert logged() == 0  # the RQTH is not in these answers
    assert api.get(f"beneficiaries/{beneficiary.pk}?include=rqth").json()["has_rqth"] is False
    assert logged() == 1
    patched = api.patch(f"beneficiaries/{beneficiary.pk}?include=rqth", {"has_rqth": True})
    assert patched.json()["has_rqth"] is True and logged() == 2
    refused = api.patch(f"beneficiaries/{beneficiary.pk}?include=rqth", {"birth_date": "2100-01-01"})
    assert refused.status_code in (409, 422) and logged() == 2  # nothing shown, nothing logged


def test_dossier_json_says_whether_the_person_is_eligible_and_why_eligibilite(api, structure):
    """The same function and French reasons as the dossier's page (web.views.beneficiaries)."""
    from cep.beneficiaries.eligibility import ineligibility_reasons

    eligible = BeneficiaryFactory(structure=structure, birth_date=today().replace(year=today().year - 20))
    body = api.get(f"beneficiaries/{eligible.pk}").json()
    assert body["eligibility"] == {"eligible": True, "reasons": []}

    too_old = BeneficiaryFactory(structure=structure, birth_date=today().replace(year=today().year - 40))
    body = api.get(f"beneficiaries/{too_old.pk}").json()
    expected = ineligibility_reasons(too_old, structure.network, today())
    assert body["eligibility"]["eligible"] is False
    reasons = body["eligibility"]["reasons"]
    assert reasons == [{"code": r.code, "message": r.message, "field": r.field} for r in expected]
    assert reasons[0]["field"] == "birth_date" and "40 ans" in reasons[0]["message"]
    # Creating, updating and justifying answer it too.
    assert "eligibility" in api.patch(f"beneficiaries/{too_old.pk}", {"phone": "0601020304"}).json()
    assert set(api.post("beneficiaries", beneficiary_body()).json()["eligibility"]) == {"eligible", "reasons"}


def test_search_any_order_with_the_count_and_approaching_results(api, structure, counselor, other_structure):
    wanted = BeneficiaryFactory(
        structure=structure, last_name="Bégué", first_name="Michelle", birth_date=datetime.date(2006, 5, 14),
        phone="06 12 34 56 78",
    )  # fmt: skip
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Paul")
    BeneficiaryFactory(structure=other_structure, last_name="Bégué", first_name="Michelle")
    for typed in ("michelle begue", "begue michelle", "14/05/2006", "+33 6 12 34 56 78", "MICH bég"):
        body = api.get("beneficiaries?" + urlencode({"name": typed})).json()
        assert [b["id"] for b in body["items"]] == [wanted.pk], typed
        assert (body["count"], body["count_capped"], body["approximate"]) == (1, False, False)
    body = api.get("beneficiaries?" + urlencode({"name": "begeu"})).json()
    assert [b["id"] for b in body["items"]] == [wanted.pk] and body["approximate"] is True and body["count"] == 1
    body = api.get("beneficiaries?" + urlencode({"name": "zzzz"})).json()
    assert (body["items"], body["count"], body["approximate"]) == ([], 0, False)
    assert api.get("beneficiaries").json()["count"] == 2


def test_search_count_spans_every_page(api, structure):
    for _ in range(5):
        BeneficiaryFactory(structure=structure, last_name="Martin")
    first = api.get("beneficiaries?" + urlencode({"name": "martin", "limit": 2})).json()
    second = api.get(
        "beneficiaries?" + urlencode({"name": "martin", "limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert first["count"] == second["count"] == 5


def test_search_impossible_date_is_422_in_french(api):
    response = api.get("beneficiaries?" + urlencode({"name": "31/02/2006"}))
    body = response.json()
    assert response.status_code == 422 and body["field"] == "name" and "n'existe pas" in body["message"]
