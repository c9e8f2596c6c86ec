"""E-mails of the orientations (Django's e-mail backend: console in the demo, SMTP in production, locmem in tests).

Sent after the transaction commits (never for a change rolled back). A user's text in an e-mail is cut to
workflow.MAX_MAIL_EXCERPT characters, stripped of control characters, and escaped in the HTML part; the subject
is one line. No personal data beyond the person's name goes by e-mail: the summary is read in the application.
"""

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils.html import escape, linebreaks

from .workflow import MAX_MAIL_EXCERPT

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def excerpt(text: str, limit: int = MAX_MAIL_EXCERPT) -> str:
    """User text made safe for an e-mail body: no control characters, at most `limit` characters."""
    text = _CONTROL.sub("", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str, limit: int = 150) -> str:
    return excerpt(" ".join((text or "").split()), limit)


def _send(recipients: list[str], subject: str, lines: list[str], quoted: str = "") -> None:
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    quoted = excerpt(quoted)
    body = "\n\n".join(lines + ([f"Message :\n{quoted}"] if quoted else []))
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    if quoted:
        html += f"<p>Message :</p><blockquote>{linebreaks(escape(quoted))}</blockquote>"
    message = EmailMultiAlternatives(
        subject=one_line(f"[CEP] {subject}"),
        body=body,
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        to=recipients,
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=True)  # a mail server down never undoes an orientation


def later(recipients: list[str], subject: str, lines: list[str], quoted: str = "") -> None:
    """Send once the current transaction commits."""
    transaction.on_commit(lambda: _send(list(recipients), subject, list(lines), quoted))
