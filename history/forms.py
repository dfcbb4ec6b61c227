"""Filters for the history dashboard (GET forms: every state is a shareable URL)."""

from __future__ import annotations

from django import forms

from history.models import OrderEvent, ScheduleKind, SyncRun
from history.selectors import EventFilters, RunFilters


class DateRangeForm(forms.Form):
    """From/To days (inclusive), the end not before the start. Subclasses list their own
    fields first through ``field_order``."""

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


class RunFilterForm(DateRangeForm):
    field_order = ["schedule", "outcome", "date_from", "date_to"]
    schedule = forms.ChoiceField(
        label="Schedule", required=False, choices=[("", "All schedules"), *ScheduleKind.choices]
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "All outcomes"), *SyncRun.Outcome.choices]
    )

    def filters(self) -> RunFilters:
        """The valid filters (an invalid form filters nothing and shows its errors)."""
        if not self.is_valid():
            return RunFilters()
        return RunFilters(**self.cleaned_data)


# Amazon's order statuses (Orders API v0 and MWS; v2026 reports the same words).
ORDER_STATUSES = (
    "Pending",
    "PendingAvailability",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)


class OrderSearchForm(DateRangeForm):
    field_order = ["q", "status", "action", "date_from", "date_to"]
    q = forms.CharField(
        label="Amazon Order ID",
        required=False,
        max_length=32,
        help_text="The whole id, or its beginning (e.g. 114-39).",
        widget=forms.TextInput(attrs={"placeholder": "e.g. 114-3941689-8772232", "type": "search"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All statuses"), *((s, s) for s in ORDER_STATUSES)],
    )
    action = forms.ChoiceField(
        label="What changed",
        required=False,
        choices=[("", "All changes"), *OrderEvent.Action.choices],
    )

    def query(self) -> tuple[str, EventFilters]:
        """The search text and the filters (an invalid form filters nothing)."""
        if not self.is_valid():
            return "", EventFilters()
        data = self.cleaned_data
        filters = EventFilters(
            status=data["status"],
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
        return data["q"], filters
