"""The JSON API, mounted at /api/v1/ (OpenAPI: /api/v1/openapi.json, documentation: /api/v1/docs)."""

from ninja import NinjaAPI, Swagger

from . import beneficiaries, ceps, events, offers, plans, referentials
from .errors import install

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

api = NinjaAPI(
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
api.add_router("", plans.router)
