from kit.errors import Conflict, NotFound


class InvoiceNotSigned(Conflict):
    code, title = "invoice.not_signed", "Only a signed invoice (with its NSFP) has a PDF"


class VerificationNotFound(NotFound):
    code, title = "verification.not_found", "No signed invoice has this NSFP"
