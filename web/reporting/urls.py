from django.urls import path

from . import dashboard, exports, exports_contract, overlaps, received

app_name = "reporting"
urlpatterns: list = [
    # Monthly national file (issue 5, parts 1–4 and 7)
    path("fichiers-mensuels/", exports.export_list, name="exports"),
    path("fichiers-mensuels/produire/", exports.export_request, name="export_request"),
    path("fichiers-mensuels/<int:pk>/", exports.export_detail, name="export_detail"),
    path("fichiers-mensuels/<int:pk>/progression/", exports.export_progress, name="export_progress"),
    path("fichiers-mensuels/<int:pk>/relancer/", exports.export_relaunch, name="export_relaunch"),
    path("fichiers-mensuels/<int:pk>/transmettre/", exports.export_transmit, name="export_transmit"),
    path("fichiers-mensuels/<int:pk>/retour/", exports.export_return, name="export_return"),
    path("fichiers-mensuels/<int:pk>/<slug:resource>.csv", exports.export_download, name="export_download"),
    path("fichiers-mensuels/<int:pk>/fichiers.zip", exports.export_download_all, name="export_download_all"),
    # The same files as received at the national level (national observer)
    path("fichiers-recus/", received.received_list, name="received"),
    path("fichiers-recus/<int:pk>/<slug:resource>.csv", received.received_download, name="received_download"),
    # Double accompaniment, for the national observer (issue 11, part 3)
    path("doubles-accompagnements/", overlaps.overlap_report, name="overlaps"),
    path("doubles-accompagnements.csv", overlaps.overlap_report_csv, name="overlaps_csv"),
    path("contrat-interface/", exports_contract.contract, name="contract"),
    path("contrat-interface/CHANGELOG.md", exports_contract.contract_changelog, name="contract_changelog"),
    path(
        "contrat-interface/<str:version>/<slug:resource>.json",
        exports_contract.contract_schema,
        name="contract_schema",
    ),
    path(
        "contrat-interface/<str:version>/<slug:resource>.csv",
        exports_contract.contract_example,
        name="contract_example",
    ),
    # Indicators (issue 5, parts 5 and 6)
    path("indicateurs/", dashboard.dashboard, name="dashboard"),
    path("indicateurs/telechargement/", dashboard.dashboard_download, name="dashboard_download"),
    path("indicateurs/actualisation/", dashboard.dashboard_refresh, name="dashboard_refresh"),
]
