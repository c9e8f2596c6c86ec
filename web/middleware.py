"""Middlewares: the sliding session, Cache-Control on personal data, the second factor of management staff.

Session middleware whose sliding expiry is written at most once a minute.

Sessions end after SESSION_COOKIE_AGE (30 minutes) without activity. Django's SESSION_SAVE_EVERY_REQUEST slides
that expiry by writing the session row on every request (an UPDATE and a commit per page view). Here the expiry is
written when the session changed, or when the last write is SESSION_TOUCH_INTERVAL seconds old or more (60 s).
The expiry stored in the database is then never more than 30 minutes after the last request, and at least 29: a
session can end up to one minute earlier than with a write per request, never later. The session cookie has no
expiry of its own (SESSION_EXPIRE_AT_BROWSER_CLOSE): the database row alone decides.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import BadRequest
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_otp import user_has_device

TOUCHED_KEY = "_cep_touched"
API_PREFIX = "/api/"  # Unix time of the last write of the session row


# Control characters no query parameter of ours carries (NUL cannot even reach PostgreSQL); tab, LF and CR stay
# (a pasted value may hold them, and forms strip or refuse them).
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}
MAX_QUERY_VALUE = 2000  # characters: no parameter of a page is longer (ids, dates, names, cursors)


class QueryStringGuardMiddleware:
    """Refuse with a French 400 a query string that no page can read: a NUL or another control character, or a value
    of more than MAX_QUERY_VALUE characters, in a parameter name or value.

    Each page still parses its own parameters through a form or a parser (cep.common.keyset, months.parse_month…):
    this guard only keeps bytes no parser expects from reaching them, and the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):  # the API answers its own errors, in JSON (api/)
            return self.get_response(request)
        for name, values in request.GET.lists():
            for text in (name, *values):
                if len(text) > MAX_QUERY_VALUE or not _CONTROL.isdisjoint(text):
                    raise BadRequest("Paramètre de l'adresse incorrect : caractère de contrôle ou valeur trop longue.")
        return self.get_response(request)


class SlidingSessionMiddleware(SessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and response.status_code != 500:
            now = int(time.time())
            touched = session.get(TOUCHED_KEY, 0)  # loads the session (as the auth middleware already did)
            # Never creates a session: an anonymous visitor, an expired or a flushed session stays empty.
            if not session.is_empty() and (session.modified or now - touched >= settings.SESSION_TOUCH_INTERVAL):
                session[TOUCHED_KEY] = now  # modified: the parent saves the row, expiry = now + 30 minutes
        return super().process_response(request, response)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user and on every API response.

    Those pages and answers carry personal data (identities, birth dates, RQTH): no browser, shared computer or
    proxy keeps a copy. Static files never reach this middleware (WhiteNoise answers them first, cacheable), and
    anonymous pages keep their own headers (the public interface contract stays cacheable).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private; Expires now
        return response


class SecondFactorMiddleware:
    """Staff with management rights (managers, administrators, observers) see no page before their second factor.

    After the password, such a user is sent to the enrolment page (first time: QR code, then recovery codes) or to
    the code page; only those pages, sign-out and the static files stay reachable. The API is not concerned (its
    tokens are personal, and revocable from the account page). Runs after django-otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_second_factor
            and not user.is_verified()
            and not request.path.startswith(API_PREFIX)
            and request.path not in _open_paths()
            and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))
        ):
            target = "web:otp_verify" if user_has_device(user, confirmed=True) else "web:otp_enrol"
            url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return HttpResponseRedirect(url)
        return self.get_response(request)


def _open_paths() -> set[str]:
    return {reverse(name) for name in ("web:login", "web:logout", "web:otp_verify", "web:otp_enrol")}
