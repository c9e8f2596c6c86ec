"""What the events layer tells the layers above it (docs/decisions.md, 2026-12-01).

The layering is beneficiaries < events < offers < enrolments: events never import enrolments. When an event
is written, moved, changed or deleted, the CEP's inactivity clock (R9) may move, forward or back; enrolments listens
(cep/enrolments/receivers.py, connected in its AppConfig.ready()).

Sent synchronously with `send()` inside the transaction of the service that writes the event: a receiver's
exception propagates and rolls the whole action back, so nothing is ever half-written.
"""

from django.dispatch import Signal

# Sent by events.services.record_event (created=True) and update_event (created=False) right after the event
# row is saved, inside its audited block. sender: the Event class; kwargs: event (the saved Event), created.
# Not sent for system events (record_system_event): they are not manifestations of the person.
event_saved = Signal()

# Sent by events.services.delete_event right after the event row is deleted, inside its transaction.
# sender: the Event class; kwargs: event (the deleted Event, its pk kept, its beneficiary and structure ids intact).
event_deleted = Signal()
