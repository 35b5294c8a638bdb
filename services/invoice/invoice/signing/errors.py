from kit.errors import NotFound, ValidationFailed


class SigningJobNotFound(NotFound):
    code, title = "signing_job.not_found", "Signing job not found"


class NothingToSign(ValidationFailed):
    code, title = "signing.nothing_to_sign", "No invoice selected"
