from kit.errors import AppError, NotFound, ValidationFailed


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
