"""Why the ledger refuses a posting. Every refusal leaves the books unchanged (a posting is all or nothing);
`details.index` and `details.transfer_id` name the first transfer at fault."""

from __future__ import annotations

from kit.errors import AppError, Conflict, ValidationFailed


class PostingEmpty(ValidationFailed):
    code, title = "ledger.posting_empty", "A posting needs at least one transfer"


class TransferIdDuplicate(ValidationFailed):
    code, title = "ledger.transfer_id_duplicate", "Two transfers in one posting share an id"


class AmountInvalid(ValidationFailed):
    """`details.reason`: not_decimal, not_positive or not_whole_rupiah."""

    code, title = "ledger.amount_invalid", "A transfer moves a positive whole-rupiah Decimal amount"


class AccountsMustBeDifferent(ValidationFailed):
    code, title = "ledger.accounts_must_be_different", "A transfer debits one account and credits another"


class AccountNotFound(ValidationFailed):
    """`details.account_id`; accounts are opened before anything is posted to them."""

    code, title = "ledger.account_not_found", "The transfer names an account that is not open"


class LedgerMismatch(ValidationFailed):
    code, title = "ledger.ledger_mismatch", "A transfer and both its accounts must be on the same ledger"


class CodeNotAllowed(ValidationFailed):
    """`details.allowed`: the (debit kind, credit kind) the transfer code moves money between."""

    code, title = "ledger.code_not_allowed", "This transfer code does not move money between these kinds of account"


class TransferExistsWithDifferentFields(Conflict):
    """`details.fields`: what differs from the transfer already posted with this id."""

    code, title = "ledger.transfer_exists_with_different_fields", \
        "A transfer with this id was already posted with different contents"


class PostingPartlyPosted(Conflict):
    """Postings are atomic, so a posting whose ids are partly known is a different posting reusing ids."""

    code, title = "ledger.posting_partly_posted", "Some transfers of this posting exist and some do not"


class ExceedsCredits(AppError):
    """The debit account has `debits_must_not_exceed_credits` (a deposit cannot go below zero)."""

    code, status, title = "ledger.exceeds_credits", 409, "The debit would exceed the account's credits"


class ExceedsDebits(AppError):
    """The credit account has `credits_must_not_exceed_debits` (no paying more than a liability owes)."""

    code, status, title = "ledger.exceeds_debits", 409, "The credit would exceed the account's debits"
