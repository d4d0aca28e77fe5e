from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Status

# A browser's <input type="date"> takes only ISO dates (2026-12-07), whatever the page's language:
# a localised value (07.12.2026) is dropped and the field shows empty.
ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class StatusChangeForm(forms.Form):
    """Change the restoration status of one or more kəhriz (the admin action's form)."""

    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    on_date = forms.DateField(
        label=_("Date of the change"),
        initial=timezone.localdate,
        widget=IsoDateInput(),
    )
    correction = forms.BooleanField(
        label=_("This is a correction"),
        required=False,
        help_text=_("Tick to skip or reverse steps of the lifecycle; the reason is required."),
    )
    backdated = forms.BooleanField(
        label=_("Back-dated entry (recording the past)"),
        required=False,
        help_text=_(
            "Tick to record an event dated before the last recorded change: it is placed in date "
            "order and must fit the lifecycle around it."
        ),
    )
    note = forms.CharField(
        label=_("Note or reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, kehrizes=(), allow_backdated=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_backdated:  # recording the past is for data managers
            del self.fields["backdated"]
        from projects.services import next_status

        # Propose the next step of the lifecycle when the chosen kəhriz are all at the same one.
        proposals = {next_status(k.status) for k in kehrizes}
        if len(proposals) == 1 and None not in proposals:
            self.fields["to_status"].initial = proposals.pop()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("correction") and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why this correction is made."))
        return cleaned
