"""What the events layer tells the layers above it (docs/decisions.md, 2026-12-01).

The layering is beneficiaries < events < offers < enrolments: events never import enrolments. When an event
that is a manifestation of the person (R9) is written, the CEP's inactivity clock must move; enrolments listens
(cep/enrolments/receivers.py, connected in its AppConfig.ready()).

Sent synchronously with `send()` inside the transaction of the service that writes the event: a receiver's
exception propagates and rolls the whole action back, so nothing is ever half-written.
"""

from django.dispatch import Signal

# Sent by events.services.record_event (created=True) and update_event (created=False) right after the event
# row is saved, inside its audited block. sender: the Event class; kwargs: event (the saved Event), created.
# Not sent for system events (record_system_event): they are not manifestations of the person.
event_saved = Signal()
