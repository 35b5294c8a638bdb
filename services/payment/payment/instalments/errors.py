"""Errors of the instalments slice, each with a stable code."""

from __future__ import annotations

from kit.errors import ValidationFailed


class KindUnknown(ValidationFailed):
    """`details.allowed` lists the kinds: pph29 and assessment."""

    code, title = "instalment.kind_unknown", "Instalments are for PPh 29 or for an assessment (STP, SKP, decision)"


class TermsInvalid(ValidationFailed):
    """`details.reason`: debt_not_payable, instalments_not_positive, more_instalments_than_rupiah, rate_negative or
    first_due_before_start."""

    code, title = "instalment.terms_invalid", "The instalment terms are not possible"


class TermTooLong(ValidationFailed):
    """`details.max_months`: the last payment may fall at most this many months after the debt's due date."""

    code, title = "instalment.term_too_long", "The instalments or postponement run longer than allowed"
