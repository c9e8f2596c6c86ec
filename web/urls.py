from django.urls import path

from web.views import account, auth, beneficiaries, ceps, documents, events, home, plans, second_factor, services

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("connexion/", auth.LoginView.as_view(), name="login"),
    path("deconnexion/", auth.LogoutView.as_view(), name="logout"),
    path("compte/", account.account, name="account"),
    path("compte/mot-de-passe/", account.PasswordChangeView.as_view(), name="password_change"),
    path(
        "compte/reinitialiser/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("compte/jetons/", account.api_tokens, name="api_tokens"),
    path("compte/jetons/<int:pk>/revoquer/", account.api_token_revoke, name="api_token_revoke"),
    path("compte/double-authentification/", second_factor.enrol, name="otp_enrol"),
    path("compte/verification/", second_factor.verify, name="otp_verify"),
    path("compte/codes-de-secours/", second_factor.recovery_codes, name="otp_recovery_codes"),
    path("beneficiaires/", beneficiaries.search, name="beneficiary_search"),
    path("beneficiaires/nouveau/", beneficiaries.create, name="beneficiary_create"),
    path("communes/", beneficiaries.communes, name="communes"),
    # The dossier: Synthèse, Suivi (Dispositifs, Services, Demandes, Événements, Rendez-vous), Dossier.
    path("beneficiaires/<int:pk>/", beneficiaries.synthesis, name="dossier"),
    path("beneficiaires/<int:pk>/justifier/", beneficiaries.justify, name="justify"),
    path("beneficiaires/<int:pk>/identite/", beneficiaries.identity, name="identity"),
    path("beneficiaires/<int:pk>/coordonnees/", beneficiaries.contact, name="contact"),
    path("beneficiaires/<int:pk>/complements/", beneficiaries.complements, name="complements"),
    path("beneficiaires/<int:pk>/demandes/", beneficiaries.not_available, {"section": "demandes"}, name="requests"),
    path(
        "beneficiaires/<int:pk>/rendez-vous/",
        beneficiaries.not_available,
        {"section": "rendez-vous"},
        name="appointments",
    ),
    path("beneficiaires/<int:pk>/dispositifs/", ceps.dispositifs, name="dispositifs"),
    path("beneficiaires/<int:pk>/dispositifs/ajouter/", ceps.add, name="cep_add"),
    path("beneficiaires/<int:pk>/evenements/", events.events, name="events"),
    path("beneficiaires/<int:pk>/evenements/ajouter/", events.add, name="event_add"),
    path("beneficiaires/<int:pk>/services/", services.services, name="services"),
    path("beneficiaires/<int:pk>/services/offres/", services.offer_search, name="offer_search"),
    path("beneficiaires/<int:pk>/services/offres/<int:offer_id>/proposer/", services.propose, name="propose"),
    path("dispositifs/<int:cep_id>/phase-3/", ceps.move_to_phase3, name="cep_phase3"),
    path("dispositifs/<int:cep_id>/annuler-phase-3/", ceps.cancel_phase3, name="cep_cancel_phase3"),
    path("dispositifs/<int:cep_id>/modifier/", ceps.modify, name="cep_modify"),
    path("dispositifs/<int:cep_id>/cloturer/", ceps.close, name="cep_close"),
    path("dispositifs/<int:cep_id>/rouvrir/", ceps.reopen, name="cep_reopen"),
    path("dispositifs/<int:cep_id>/supprimer/", ceps.delete, name="cep_delete"),
    path("dispositifs/<int:cep_id>/historique/", ceps.history, name="cep_history"),
    # Plan d'action of a CEP (cep/plans): items named by ?type=…&id=… (web/views/plans.py).
    path("dispositifs/<int:cep_id>/plan/", plans.plan, name="cep_plan"),
    path("dispositifs/<int:cep_id>/plan/creer/", plans.create, name="cep_plan_create"),
    path("dispositifs/<int:cep_id>/plan/projet/", plans.edit, name="cep_plan_edit"),
    path("dispositifs/<int:cep_id>/plan/element/", plans.item, name="cep_plan_item"),
    path("dispositifs/<int:cep_id>/plan/retirer/", plans.remove, name="cep_plan_remove"),
    path("dispositifs/<int:cep_id>/plan/versions/", plans.versions, name="cep_plan_versions"),
    # Documents handed to the person (niveau 1, synthèse, prise de recul), kept on the dossier.
    path("beneficiaires/<int:pk>/documents/", documents.documents, name="documents"),
    path("beneficiaires/<int:pk>/documents/niveau-1/", documents.issue_level1, name="document_level1"),
    path("dispositifs/<int:cep_id>/documents/synthese/", documents.issue_synthesis, name="document_synthesis"),
    path("dispositifs/<int:cep_id>/documents/prise-de-recul/", documents.issue_step_back, name="document_step_back"),
    path("documents/<int:document_id>/", documents.download, name="document_download"),
]
