"""The JSON API, mounted at /api/v1/ (OpenAPI: /api/v1/openapi.json, documentation: /api/v1/docs)."""

from ninja import NinjaAPI, Swagger

from cep.common.dates import today

from . import appointments, beneficiaries, ceps, events, imports, offers, orientations, plans, referentials
from .errors import install

# OpenAPI links: the lifecycle a client (or a stateful test) can walk from one answer to the next.
_CEP = {"cep_id": "$response.body#/id"}
LINKS = {
    ("api_beneficiaries_create_beneficiary", "201"): {
        "Justifier": ("api_beneficiaries_justify", {"beneficiary_id": "$response.body#/id"}),
    },
    ("api_beneficiaries_justify", "200"): {
        "AjouterCEP": ("api_ceps_open_cep", {"beneficiary_id": "$response.body#/id"}),
    },
    ("api_ceps_open_cep", "201"): {
        "PasserEnPhase3": ("api_ceps_move_to_phase3", _CEP),
        "Cloturer": ("api_ceps_close_cep", _CEP),
        "Modifier": ("api_ceps_modify_cep", _CEP),
        "Lire": ("api_ceps_read_cep", _CEP),
    },
    ("api_ceps_move_to_phase3", "200"): {
        "Cloturer": ("api_ceps_close_cep", _CEP),
        "AnnulerPhase3": ("api_ceps_cancel_phase3", _CEP),
    },
    ("api_ceps_close_cep", "200"): {
        "Rouvrir": ("api_ceps_reopen_cep", _CEP),
        "Historique": ("api_ceps_history", _CEP),
    },
    ("api_ceps_reopen_cep", "200"): {"Cloturer": ("api_ceps_close_cep", _CEP)},
    ("api_offers_create_offer", "201"): {
        "Modifier": ("api_offers_update_offer", {"offer_id": "$response.body#/id"}),
        "Lire": ("api_offers_read_offer", {"offer_id": "$response.body#/id"}),
    },
    ("api_events_create_event", "201"): {
        "Modifier": ("api_events_update_event", {"event_id": "$response.body#/id"}),
    },
}


def _with_enums(node, codes: dict[str, list[str]]):
    """Every `x-referential` string of the schema gets the enum of the referential's codes in force today."""
    if isinstance(node, dict):
        name = node.get("x-referential")
        if codes.get(name):  # an empty table (a fresh database) publishes no enum rather than an impossible one
            node["enum"] = codes[name]
        for value in node.values():
            _with_enums(value, codes)
    elif isinstance(node, list):
        for value in node:
            _with_enums(value, codes)


class CepApi(NinjaAPI):
    """The schema is built on each read of /openapi.json (django-ninja does not cache it): the referential fields are
    published as enums of the codes in force that day, read from the referential tables."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        day = today()
        codes = {
            name: list(model.objects.valid_on(day).order_by("position", "code").values_list("code", flat=True))
            for name, model in referentials.REFERENTIALS.items()
        }
        _with_enums(schema, codes)
        by_id = {
            op["operationId"]: op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)
        }
        for (operation_id, status), links in LINKS.items():
            responses = by_id[operation_id]["responses"]
            response = responses.get(status) or responses[int(status)]
            response["links"] = {
                name: {"operationId": target, "parameters": parameters} for name, (target, parameters) in links.items()
            }
        return schema


DESCRIPTION = """
API du système d'information du Conseil en évolution professionnelle (CEP).

**Authentification** : jeton personnel, en-tête `Authorization: Bearer <jeton>` (commande
`manage.py issue_api_token <identifiant>`). Un jeton révoqué ou un compte désactivé reçoit 401.

**Périmètre** : chaque utilisateur ne voit que les dossiers de sa structure ; un objet d'une autre
structure répond 404. Les observateurs (régional, national) n'ont accès qu'aux référentiels (403 ailleurs).

**Référentiels** : les valeurs sont passées par leur `code` (voir `/referentials/{nom}`) ; un code
inconnu ou hors de sa période de validité répond 422 en nommant le champ.

**Erreurs** : `{"code": "R5", "message": "…", "field": "on"}` — 409 pour une règle de gestion refusée
(R1 à R12…), 403 pour un défaut de droits, 404 pour un objet introuvable, 422 pour une saisie invalide.

**Listes** : pagination par curseur (`cursor`, `limit` ≤ 100) ; suivre `next_cursor` jusqu'à null.

**RQTH** : jamais renvoyée sans `?include=rqth` ; chaque lecture est tracée.
"""

api = CepApi(
    title="CEP – API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=Swagger(settings={"defaultModelsExpandDepth": 0}),
)
install(api)
api.add_router("", referentials.router)
api.add_router("", beneficiaries.router)
api.add_router("", offers.router)
api.add_router("", events.router)
api.add_router("", ceps.router)
api.add_router("", appointments.router)
api.add_router("", plans.router)
api.add_router("", orientations.router)
api.add_router("", imports.router)
