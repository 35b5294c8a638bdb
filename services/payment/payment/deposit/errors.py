"""Errors of the deposit slice, each with a stable code. A refusal changes nothing."""

from __future__ import annotations

from kit.errors import Conflict, NotFound, ValidationFailed


class InsufficientDeposit(Conflict):
    """`details.balance`: what the deposit holds now; `details.amount`: what was asked."""

    code, title = "deposit.insufficient", "The deposit holds less than that"


class TargetInvalid(ValidationFailed):
    """An allocation names a debt (`debt_id`) or a self-assessed liability (`kap_kjs` with its period or STP/SKP
    number, and `amount`), not both, not neither. `details.reason`."""

    code, title = "deposit.target_invalid", "Name a debt, or a KAP-KJS with its period and an amount"


class NotForDeposit(ValidationFailed):
    """411618-100 is the deposit itself."""

    code, title = "deposit.kap_kjs_is_deposit", "The deposit cannot be allocated to the deposit"


class NamesADebt(Conflict):
    """The STP/SKP number is a recorded debt (`details.debt_id`): allocate to the debt instead."""

    code, title = "deposit.names_a_debt", "This STP/SKP number is a debt: allocate to the debt"


class RecipientInvalid(ValidationFailed):
    """`details.reason`: same_taxpayer, or unknown (not in the taxpayer registry)."""

    code, title = "deposit.recipient_invalid", "The deposit cannot be transferred to this taxpayer"


class RefundNotFound(NotFound):
    code, title = "deposit.refund_not_found", "No such refund request"


class RefundDecided(Conflict):
    """`details.status`: done or rejected."""

    code, title = "deposit.refund_decided", "The refund request was decided already"


class RejectionReasonRequired(ValidationFailed):
    code, title = "deposit.reason_required", "A rejection states its reason"
