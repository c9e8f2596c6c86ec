"""Labels by the reader's network (cep/referentials/labels.py).

{{ cep.orientation_source|network_label:request.user }}
"""

from django import template

from cep.referentials.labels import label_for_network, user_network

register = template.Library()


@register.filter
def network_label(value, user) -> str:
    """A referential value or a label, as a user of the given user's network reads it (« ML » → « Ma structure »)."""
    if value is None or value == "":
        return ""
    return label_for_network(getattr(value, "label", value), user_network(user))


@register.filter
def de_name(value) -> str:
    """{{ b.first_name|de_name }} → « d'Aurélie » or « de Léa » (French elision)."""
    from cep.common.text import de_name as elide

    return elide(value)
