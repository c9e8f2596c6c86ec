from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("suivi-regional/", views.exercises, name="exercises"),
    path("suivi-regional/national/", views.national, name="national"),
    path("suivi-regional/<int:pk>/", views.exercise, name="exercise"),
    path("suivi-regional/<int:pk>/rencontres/ajouter/", views.meeting_add, name="meeting_add"),
    path("suivi-regional/<int:pk>/cooperations/ajouter/", views.cooperation_add, name="cooperation_add"),
    path("suivi-regional/<int:pk>/investigations/ajouter/", views.investigation_add, name="investigation_add"),
    path("suivi-regional/<int:pk>/donnees/", views.data_part, name="data_part"),
    path("suivi-regional/<int:pk>/rapport/", views.report, name="report"),
    path("rapport-regional/", views.shared, name="shared"),
    path("suivi-regional/<int:pk>/projet/", views.draft, name="draft"),
    path(
        "suivi-regional/<int:pk>/versions/<int:number>/rapport.pdf",
        views.report_file,
        {"fmt": "pdf"},
        name="report_pdf",
    ),
    path(
        "suivi-regional/<int:pk>/versions/<int:number>/rapport.docx",
        views.report_file,
        {"fmt": "docx"},
        name="report_docx",
    ),
    path("suivi-regional/<int:pk>/projet/commenter/", views.thread_new, name="thread_new"),
    path("suivi-regional/<int:pk>/projet/partager-a-nouveau/", views.reshare, name="reshare"),
    path("suivi-regional/fils/<int:thread_id>/<slug:action>/", views.thread_action, name="thread_action"),
    path("suivi-regional/sections/<int:section_id>/", views.section_edit, name="section_edit"),
    path("suivi-regional/sections/<int:section_id>/versions/", views.section_history, name="section_history"),
    path("suivi-regional/<int:pk>/documents/ajouter/", views.document_add, name="document_add"),
    path("suivi-regional/documents/<int:document_id>/", views.document_download, name="document_download"),
    path("suivi-regional/<int:pk>/etapes/<slug:action>/", views.step, name="step"),
    path("suivi-regional/etapes-calendrier/<int:milestone_id>/", views.milestone, name="milestone"),
]
