"""URLconf of the bench server only (bench/pages_settings.py): the product's URLs plus a bare static view."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

_BODY = b"<!doctype html><html lang=fr><title>statique</title><p>ok</p></html>"


def bench_static(request):
    """No template, no query of its own: what every page pays for the server and the middlewares."""
    return HttpResponse(_BODY)


urlpatterns = [path("bench-static/", bench_static), *product_urlpatterns]
