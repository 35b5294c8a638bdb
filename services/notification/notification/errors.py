from kit.errors import AppError, Conflict, NotFound, Unauthorized


class UnknownProvider(NotFound):
    code, title = "webhook.unknown_provider", "No such provider"


class InvalidSignature(Unauthorized):
    code, title = "webhook.invalid_signature", "Webhook signature missing or wrong"


class MalformedReport(AppError):
    code, status, title = "webhook.malformed", 400, "Delivery report not understood"


class UnknownProviderMessage(NotFound):
    code, title = "webhook.unknown_message", "No message with that provider message id (yet)"


class InboxItemNotFound(NotFound):
    code, title = "inbox.item_not_found", "Inbox item not found"


class StatutoryNotice(Conflict):
    code, title = "preferences.statutory_notice", "Statutory notices cannot be switched off"


class UnknownNotice(AppError):
    code, status, title = "preferences.unknown_notice", 422, "No such notice"


class MessageNotFound(NotFound):
    code, title = "message.not_found", "Message not found"
