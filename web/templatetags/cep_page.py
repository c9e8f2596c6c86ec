"""The invariant parts of every page (style sheets, icons, footer, theme dialog, scripts), rendered once per process.

They depend on no request and no user: only on the templates and the static files' addresses, which change with a
deployment (a restart). Rendering them through the template engine on every page view cost about half a
millisecond of CPU per page (inclusion tags, `{% static %}`, translations). With DEBUG (development server) they are
rendered every time, so that editing a template shows at once.
"""

from functools import cache

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_NONCE = "\x00cep-nonce\x00"  # placeholder, replaced by each response's CSP nonce


@cache
def _rendered(name: str, nonce: str | None) -> str:
    return render_to_string(name, {"nonce": nonce})


def _fragment(name: str, nonce: str | None = None) -> str:
    return render_to_string(name, {"nonce": nonce}) if settings.DEBUG else _rendered(name, nonce)


@register.simple_tag
def page_fragment(name: str):
    """A template that needs no context, e.g. `{% page_fragment "partials/page_head.html" %}`."""
    return mark_safe(_fragment(name))


@register.simple_tag
def page_scripts(nonce):
    """The scripts of every page, each carrying this response's CSP nonce (no nonce attribute without one)."""
    # str() evaluates the lazy nonce, which makes the CSP middleware send it in the header (its bool() does not).
    nonce = "" if nonce is None else str(nonce)
    if not nonce:
        return mark_safe(_fragment("partials/page_scripts.html"))
    return mark_safe(_fragment("partials/page_scripts.html", _NONCE).replace(_NONCE, escape(nonce)))


# The addresses of the header and menu: reversed once per URLconf and script prefix ("" for a page that does not
# exist, so that the menu hides its link).
PAGE_URLS = {
    "home": "web:home",
    "login": "web:login",
    "logout": "web:logout",
    "search": "web:beneficiary_search",
    "account": "web:account",
    "offers": "manager:offers",
    "orientations": "web:orientations_received",
    "orientations_sent": "web:orientations_sent",
    "structure": "manager:structure",
    "exports": "reporting:exports",
    "imports": "imports:list",
    "received": "reporting:received",
    "overlaps": "reporting:overlaps",
    "dashboard": "reporting:dashboard",
    "monitoring": "monitoring:exercises",
    "monitoring_national": "monitoring:national",
    "monitoring_shared": "monitoring:shared",
}


@cache
def _urls(urlconf, prefix: str) -> dict:
    out = {}
    for key, name in PAGE_URLS.items():
        try:
            out[key] = reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            out[key] = ""
    return out


@register.simple_tag
def page_urls() -> dict:
    """`{% page_urls as urls %}`, then `{{ urls.home }}`: the header's and menu's addresses."""
    return _urls(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
