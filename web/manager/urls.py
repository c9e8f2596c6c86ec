from django.urls import path

from . import password, second_factor, views

app_name = "manager"
urlpatterns = [
    path("offres/", views.offers, name="offers"),
    path("offres/nouvelle/", views.offer_create, name="offer_create"),
    path("offres/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offres/<int:pk>/modifier/", views.offer_edit, name="offer_edit"),
    path("structure/", views.structure, name="structure"),
    path("structure/parametres/", views.structure_settings, name="structure_settings"),
    path("structure/annuaire/", views.structure_directory, name="structure_directory"),
    path("structure/utilisateurs/nouveau/", views.user_create, name="user_create"),
    path("structure/utilisateurs/<int:pk>/", views.user_edit, name="user_edit"),
    path("structure/utilisateurs/<int:pk>/desactiver/", views.user_deactivate, name="user_deactivate"),
    path(
        "structure/utilisateurs/<int:pk>/reinitialiser-mot-de-passe/",
        password.password_reset_link,
        name="user_password_reset",
    ),
    path(
        "structure/utilisateurs/<int:pk>/reinitialiser-double-authentification/",
        second_factor.second_factor_reset,
        name="user_second_factor_reset",
    ),
    path("structure/reattribuer/", views.reassign, name="reassign"),
]
