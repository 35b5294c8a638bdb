"""Errors of the confirmations slice, each with a stable code. A refused confirmation changes nothing."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed


class NTPNInvalid(ValidationFailed):
    """`details.reason`: length (not 16 characters) or characters (anything but A-Z and 0-9)."""

    code, title = "confirmation.ntpn_invalid", "Not an NTPN"


class BankClientRequired(Forbidden):
    code, title = "auth.bank_client_required", "Only a collecting bank's client may call this endpoint"


class BillingExpired(Conflict):
    """`details.expires_at`: the code stopped being payable then; a new code must be made."""

    code, title = "confirmation.billing_expired", "The billing code has expired"


class AlreadyPaid(Conflict):
    """Another payment (another bank reference) already paid this code: one payment per code."""

    code, title = "confirmation.already_paid", "The billing code is already paid"


class BankReferenceReused(Conflict):
    """`details.fields`: what differs from the payment this bank already confirmed with this reference."""

    code, title = "confirmation.bank_reference_reused", \
        "This bank reference was already used for a different payment"


class AmountMismatch(ValidationFailed):
    """`details.expected`: the billing code's amount; a code is paid in full, in one payment."""

    code, title = "confirmation.amount_mismatch", "The amount differs from the billing code's amount"


class PaidAtInvalid(ValidationFailed):
    code, title = "confirmation.paid_at_invalid", "paid_at is in the future"


class PaymentNotFound(NotFound):
    """No confirmed payment has this NTPN (or it is not one this caller may read)."""

    code, title = "payment.not_found", "No payment with this NTPN"
