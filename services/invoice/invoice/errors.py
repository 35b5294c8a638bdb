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
