"""Form plumbing shared by every portal form: DSFR classes and accessible error wiring.

Each field renders through `partials/field.html`: label, hint, widget, then the error message right under it.
The widget carries `aria-describedby` pointing at its hint and its error, and `aria-invalid` when in error.
"""

from django import forms


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
