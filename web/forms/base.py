"""Form plumbing shared by every portal form: DSFR classes and accessible error wiring.

Each field renders through `partials/field.html`: label, hint, widget, then the error message right under it.
The widget carries `aria-describedby` pointing at its hint and its error, and `aria-invalid` when in error.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class PortalBoundField(forms.BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        described = []
        if self.help_text:
            described.append(f"{self.auto_id}_helptext")
        if self.form.is_bound and self.errors:
            described.append(f"{self.auto_id}-desc-error")
            attrs["aria-invalid"] = "true"
        if described:
            attrs["aria-describedby"] = " ".join(described)
        else:
            attrs.pop("aria-describedby", None)
        return attrs

    @property
    def kind(self) -> str:
        widget = self.field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):  # a subclass of RadioSelect: test it first
            return "checkboxes"
        if isinstance(widget, forms.RadioSelect):
            return "radio"
        if isinstance(widget, forms.CheckboxInput):
            return "checkbox"
        if isinstance(widget, forms.Select):
            return "select"
        if isinstance(widget, forms.Textarea):
            return "textarea"
        return "input"


class FastSelect(forms.Select):
    """A select drawn in Python, with the markup of Django's templates (select.html, select_option.html,
    attrs.html): the template renderer includes two templates per option, and a select of 40 counselors cost a
    quarter of the search page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rows = format_html_join(
                "",
                '\n  <option value="{}"{}>{}</option>',
                ((o["value"], flatatt(o["attrs"]), o["label"]) for o in options),
            )
            parts.append(
                format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, rows) if group_name else rows
            )
        return format_html(
            '<select name="{}"{}>{}\n</select>', widget["name"], flatatt(widget["attrs"]), mark_safe("".join(parts))
        )


class PortalFormMixin:
    """DSFR classes on widgets, no browser validation bubbles: the server's French message is the reference."""

    bound_field_class = PortalBoundField
    use_required_attribute = False
    template_name = "partials/form_fields.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput | forms.CheckboxSelectMultiple):
                continue
            if type(widget) is forms.Select:  # same markup, drawn without a template per option
                fast = FastSelect(attrs=widget.attrs, choices=widget.choices)
                fast.is_required, fast.is_localized = widget.is_required, widget.is_localized
                field.widget = widget = fast
            css = "fr-select" if isinstance(widget, forms.Select) else "fr-input"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class PortalForm(PortalFormMixin, forms.Form):
    pass


DATE_HINT = "Format : jj/mm/aaaa"


class DateField(forms.DateField):
    """A date typed as jj/mm/aaaa or sent by a date picker (aaaa-mm-jj); French error messages; the hint
    « jj/mm/aaaa » under its label, after the field's own hint."""

    def __init__(self, *args, **kwargs):
        hint = kwargs.get("help_text") or ""
        kwargs["help_text"] = f"{hint.rstrip('.')}. {DATE_HINT}" if hint else DATE_HINT
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)
        self.error_messages["invalid"] = "Saisissez une date valide (jj/mm/aaaa)."
