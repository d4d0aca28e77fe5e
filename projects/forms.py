from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Status


class StatusChangeForm(forms.Form):
    """Change the restoration status of one or more kəhriz (the admin action's form)."""

    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    on_date = forms.DateField(
        label=_("Date of the change"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    correction = forms.BooleanField(
        label=_("This is a correction"),
        required=False,
        help_text=_("Tick to skip or reverse steps of the lifecycle; the reason is required."),
    )
    note = forms.CharField(
        label=_("Note or reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("correction") and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why this correction is made."))
        return cleaned
