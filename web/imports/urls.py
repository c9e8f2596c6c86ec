from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    # Import of existing dossiers (issue 11, part 5)
    path("imports/", views.batch_list, name="list"),
    path("imports/deposer/", views.upload, name="upload"),
    path("imports/modeles/<slug:kind>.csv", views.template_csv, name="template"),
    path("imports/<int:pk>/", views.detail, name="detail"),
    path("imports/<int:pk>/confirmer/", views.confirm, name="confirm"),
    path("imports/<int:pk>/progression/", views.progress, name="progress"),
    path("imports/<int:pk>/annuler/", views.undo, name="undo"),
    path("imports/<int:pk>/abandonner/", views.discard, name="discard"),
    path("imports/<int:pk>/lignes-refusees.csv", views.refused_download, name="refused"),
]
