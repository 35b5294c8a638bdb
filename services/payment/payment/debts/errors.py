"""Errors of the debts slice, each with a stable code. A refusal changes nothing."""

from __future__ import annotations

from kit.errors import AppError, Conflict, NotFound, ValidationFailed


class InterestRateUnknown(AppError):
    """The KMK rate for that month and tier is not in the packaged table: the table needs a row, not a guess.
    `details`: tier, month."""

    code, status, title = "debt.interest_rate_unknown", 503, "The interest rate for that month is not known"


class DebtNotFound(NotFound):
    """Also the answer for another taxpayer's debt: its existence is not revealed."""

    code, title = "debt.not_found", "No such debt"


class DebtAlreadySettled(Conflict):
    """`details.ntpn`: the payment that settled it."""

    code, title = "debt.already_settled", "The debt is already paid"


class NotADebt(ValidationFailed):
    """411618-100 tops up the deposit: money a taxpayer holds, never owes."""

    code, title = "debt.not_a_debt", "This KAP-KJS is not a debt"


class AssessmentAlreadyRecorded(Conflict):
    """Another debt of this taxpayer already has this KAP-KJS and STP/SKP number (from filing or the legacy import):
    recording it twice would make the taxpayer owe it twice. `details.debt_id` names the one recorded."""

    code, title = "debt.assessment_already_recorded", "A debt with this STP/SKP number is already recorded"


class LegacyHeaderInvalid(ValidationFailed):
    """`details`: `missing` and `unknown` columns, and the `expected` ones. The whole file is refused."""

    code, title = "legacy_debt.header_invalid", "The CSV header does not name the legacy debt columns"


class LegacyFileEmpty(ValidationFailed):
    code, title = "legacy_debt.file_empty", "The file has no header or no rows"


class LegacyFileUnreadable(ValidationFailed):
    """`details.reason`: encoding (not UTF-8) or csv (a line the CSV reader cannot take, with `details.line`)."""

    code, title = "legacy_debt.file_unreadable", "The file is not UTF-8 CSV"


class LegacyFileTooLarge(AppError):
    """`details.max_bytes`: split the export into files of at most this size."""

    code, status, title = "legacy_debt.file_too_large", 413, "The file is larger than one import takes"


class LegacyImportNotFound(NotFound):
    code, title = "legacy_debt.import_not_found", "No such legacy debt import"


class DebtInInstalments(Conflict):
    """Instalments or a postponement of the debt were granted: each instalment is paid with its own code
    (`details.arrangement_id`). Once a missed instalment makes the remainder due, the debt is payable whole again."""

    code, title = "debt.in_instalments", "The debt is paid in instalments"


class AmountNotOutstanding(ValidationFailed):
    """A code naming a debt's STP/SKP number pays what the debt still owes (`details.outstanding`, `debt_id`), in
    one payment."""

    code, title = "debt.amount_not_outstanding", "The amount is not what the debt still owes"
