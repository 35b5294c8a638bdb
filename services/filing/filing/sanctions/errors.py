"""Errors of the sanctions slice, each with a stable code."""

from __future__ import annotations

from kit.errors import AppError, Conflict, Forbidden, ValidationFailed


class InterestRateUnknown(AppError):
    """The monthly KMK rate for the month the sanction starts (and the tier) is not in the table: computing the rate
    instead would be a guess (tax-rules.md §6.2: "do not compute the rate; load the monthly KMK table")."""

    code, status, title = "sanctions.interest_rate_unknown", 422, "No published interest rate for that month and tier"


class RunObligationUnsupported(ValidationFailed):
    """The run knows who owes the SPT Masa PPN and the SPT Tahunan; an SPT Masa PPH is owed for months with
    withholding, which filing cannot tell yet."""

    code, title = "sanctions.run_obligation_unsupported", \
        "The sanction run covers spt_masa_ppn, spt_tahunan_op and spt_tahunan_badan"


class DeadlineNotPassed(Conflict):
    code, title = "sanctions.deadline_not_passed", "The deadline of this return has not passed yet"


class RunInProgress(Conflict):
    code, title = "sanctions.run_in_progress", "Another sanction run is in progress; retry when it has finished"


class OfficerRequired(Forbidden):
    """Same code as the assessments slice's: an officer console's or an internal service's client token."""

    code, title = "auth.officer_required", "Only an officer's or an internal service's client may call this endpoint"
