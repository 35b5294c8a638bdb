from kit.errors import AppError, Conflict, NotFound, ValidationFailed


class InvoiceNotFound(NotFound):
    code, title = "invoice.not_found", "Invoice not found"


class InvoiceNotDraft(Conflict):
    code, title = "invoice.not_draft", "Only drafts can be changed or deleted"


class InvoiceInvalid(ValidationFailed):
    code, title = "invoice.invalid", "The invoice breaks one or more rules"


class UploadNotFound(NotFound):
    code, title = "upload.not_found", "Upload not found"


class UploadTooLarge(AppError):
    code, status, title = "upload.too_large", 413, "The file is larger than the upload limit"


class UploadEmpty(ValidationFailed):
    code, title = "upload.empty", "The request body is empty"


class UnsupportedMediaType(AppError):
    code, status, title = "upload.unsupported_media_type", 415, "Unsupported media type"


class SellerNotCaller(AppError):
    code, status, title = "seller.not_caller", 403, "The seller in the file is not the taxpayer you act for"


class IdempotencyKeyReused(AppError):
    code, status, title = "idempotency.key_reused", 422, "Idempotency-Key reused with a different request"


class SigningJobNotFound(NotFound):
    code, title = "signing_job.not_found", "Signing job not found"


class NothingToSign(ValidationFailed):
    code, title = "signing.nothing_to_sign", "No invoice selected"


class TaxpayerNotChosen(ValidationFailed):
    code, title = "taxpayer.ambiguous", "Say which taxpayer (npwp) you act for"


class InvoiceNotSigned(Conflict):
    code, title = "invoice.not_signed", "Only a signed invoice (with its NSFP) has a PDF"


class VerificationNotFound(NotFound):
    code, title = "verification.not_found", "No signed invoice has this NSFP"


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


class CallbackUrlInvalid(ValidationFailed):
    code, title = "webhook.url_invalid", "callback_url must be an absolute http(s) URL"


class CallbackUrlForbidden(ValidationFailed):
    code, title = "webhook.url_forbidden", "callback_url points where webhooks may not be sent"


class IdempotencyInProgress(Conflict):
    code, title = "idempotency.in_progress", "A request with this Idempotency-Key is still being processed"
