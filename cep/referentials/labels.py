"""Labels that depend on the reader's network (docs/regles-cep.md §3: outside the Missions locales, « ML » reads
« ma structure »).

The sources [000] are written for the Missions locales: the aiguilleurs « Ma ML – suite niveau 1 », « Ma ML – entrée
directe niveau 2 ou 3 », « Autre Mission Locale » and the offer origin « ML ». The stored codes never change; only
what a user of another network reads does (pages, form choices, the API's referential listing, refusal messages).
Decision and wording: docs/decisions.md (2026-12-07, « ML » lu « ma structure »).
"""

ML_NETWORK = "ml"

# Whole labels, then label prefixes, as the Missions locales read them → as the other networks read them.
_OTHER_NETWORKS_LABELS = {
    "ML": "Ma structure",  # offer origin (offers.models.OfferOrigin.STRUCTURE)
    "Autre Mission Locale": "Autre structure de mon réseau",
}
_OTHER_NETWORKS_PREFIXES = {"Ma ML": "Ma structure"}


def label_for_network(label: str, network: str | None) -> str:
    """`label` as a user of `network` (its code) reads it; unchanged for the Missions locales and for a user with
    no network (an administrator without a structure sees the labels of the sources)."""
    label = str(label)
    if not network or network == ML_NETWORK:
        return label
    if label in _OTHER_NETWORKS_LABELS:
        return _OTHER_NETWORKS_LABELS[label]
    for prefix, replacement in _OTHER_NETWORKS_PREFIXES.items():
        if label.startswith(prefix + " "):
            return replacement + label[len(prefix) :]
    return label


def user_network(user) -> str | None:
    """The network code of the user's structure, or None (no structure)."""
    structure = getattr(user, "structure", None)
    return getattr(structure, "network_id", None)
