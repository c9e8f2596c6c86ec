"""What the offers layer tells the layer above it (docs/decisions.md, 2026-12-01).

The layering is beneficiaries < events < offers < enrolments: offers never import enrolments. A service proposed
while a CEP is in progress belongs to that CEP (it counts in national statistics whatever the context);
enrolments listens (cep/enrolments/receivers.py, connected in its AppConfig.ready()) and attaches it.

Sent synchronously with `send()` inside the transaction of propose_offer: a receiver's exception propagates and
rolls the whole proposal back, so nothing is ever half-written.
"""

from django.dispatch import Signal

# Sent by offers.services.propose_offer once the service is built and before it is saved (and audited), so a
# receiver may fill its fields: enrolments sets `service.cep`. sender: the Service class; kwargs: service (the
# unsaved Service, with beneficiary, structure_id and proposed_on set).
service_proposing = Signal()
