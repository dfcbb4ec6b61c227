"""Filters for the history dashboard (GET forms: every state is a shareable URL)."""

from __future__ import annotations

from django import forms

from history.models import ScheduleKind, SyncRun
from history.selectors import RunFilters


class RunFilterForm(forms.Form):
    schedule = forms.ChoiceField(
        label="Schedule", required=False, choices=[("", "All schedules"), *ScheduleKind.choices]
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "All outcomes"), *SyncRun.Outcome.choices]
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> RunFilters:
        """The valid filters (an invalid form filters nothing and shows its errors)."""
        if not self.is_valid():
            return RunFilters()
        return RunFilters(**self.cleaned_data)


class OrderSearchForm(forms.Form):
    q = forms.CharField(
        label="Amazon Order ID",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 114-3941689-8772232", "type": "search"}),
    )
