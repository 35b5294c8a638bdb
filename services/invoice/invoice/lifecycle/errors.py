from kit.errors import AppError, Conflict, ValidationFailed


class LifecycleRefused(Conflict):
    """A lifecycle action (cancellation, replacement, return, input-tax decision) the invoice's state refuses; the
    `code` says which rule (every one is in `invoice.codes`)."""

    code, title = "invoice.lifecycle_refused", "The invoice's state does not allow this"

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.code = code  # type: ignore[misc]


class LifecycleInvalid(ValidationFailed):
    code, title = "invoice.lifecycle_invalid", "The request breaks a lifecycle rule"

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.code = code  # type: ignore[misc]


class NotTheBuyer(AppError):
    code, status, title = "invoice.not_buyer", 403, "Only the buyer's people may do this"


class NotTheSeller(AppError):
    code, status, title = "invoice.not_seller", 403, "Only the seller's people may do this"
