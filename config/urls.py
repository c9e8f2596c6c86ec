from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("web.reporting.urls")),
    path("", include("web.manager.urls")),
    path("", include("web.monitoring.urls")),
    path("", include("web.imports.urls")),
    path("", include("web.urls")),
]
