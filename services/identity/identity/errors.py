from kit.errors import Conflict, NotFound


class TaxpayerAlreadyRegistered(Conflict):
    code, title = "taxpayer.already_registered", "Taxpayer already registered"


class TaxpayerNotFound(NotFound):
    code, title = "taxpayer.not_found", "Taxpayer not found"
