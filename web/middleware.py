"""Session middleware whose sliding expiry is written at most once a minute.

Sessions end after SESSION_COOKIE_AGE (30 minutes) without activity. Django's SESSION_SAVE_EVERY_REQUEST slides
that expiry by writing the session row on every request (an UPDATE and a commit per page view). Here the expiry is
written when the session changed, or when the last write is SESSION_TOUCH_INTERVAL seconds old or more (60 s).
The expiry stored in the database is then never more than 30 minutes after the last request, and at least 29: a
session can end up to one minute earlier than with a write per request, never later. The session cookie has no
expiry of its own (SESSION_EXPIRE_AT_BROWSER_CLOSE): the database row alone decides.
"""

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware

TOUCHED_KEY = "_cep_touched"  # Unix time of the last write of the session row


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
