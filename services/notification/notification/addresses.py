"""Destinations: Indonesian mobile numbers (normalised to E.164) and e-mail addresses, checked before anything is
queued. A bad destination is rejected with a reason, never sent."""

from __future__ import annotations

import re

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
# An e-mail local part of RFC 5322 atoms (no quoted strings, no comments), a DNS domain of at least two labels.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidDestination(ValueError):
    """The phone number or e-mail address cannot be sent to; the message says why."""


def normalise_phone(raw: str) -> str:
    """An Indonesian mobile number as E.164 (`+628…`).

    Accepts `08…`, `628…` and `+628…`, with spaces, dashes, dots or parentheses between digit groups. The national
    number (after 0 / +62) must start with 8 (mobile: SMS cannot reach fixed lines) and the number written locally
    (0 + national number) has 10 to 15 digits.
    """
    text = _PHONE_SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        digits = text[1:]
        if not digits.isdigit():
            raise InvalidDestination("a phone number has digits only after the +")
        if not digits.startswith("62"):
            raise InvalidDestination("only Indonesian numbers (+62) are supported")
        national = digits[2:]
    elif text.isdigit() and text.startswith("62"):
        national = text[2:]
    elif text.isdigit() and text.startswith("0"):
        national = text[1:]
    else:
        raise InvalidDestination("a phone number starts with 0, 62 or +62 and has digits only")
    if not national.startswith("8"):
        raise InvalidDestination("not a mobile number (Indonesian mobile numbers start with 08 / +628)")
    if not 9 <= len(national) <= 14:
        raise InvalidDestination("a mobile number has 10 to 15 digits written as 08…")
    return "+62" + national


def normalise_email(raw: str) -> str:
    """The address with its domain lower-cased (internationalised domains as IDNA). Refuses anything that could
    smuggle a header or a second recipient (CR, LF, commas, spaces, angle brackets)."""
    text = raw.strip()
    if not text or len(text) > 254:
        raise InvalidDestination("an e-mail address has 3 to 254 characters")
    if any(c.isspace() or c in ',;<>"()[]\\' or ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidDestination("an e-mail address has no spaces, quotes, brackets, commas or control characters")
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain:
        raise InvalidDestination("an e-mail address has the form name@domain")
    if len(local) > 64 or not _LOCAL.match(local):
        raise InvalidDestination("the part before @ is not a valid mailbox name")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidDestination("the domain is not a valid domain name") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidDestination("the domain is not a valid domain name")
    if not re.match(r"^(xn--[a-z0-9-]+|[a-z]{2,63})$", labels[-1]):
        raise InvalidDestination("the domain has no valid top-level domain")
    return f"{local}@{ascii_domain}"


def normalise(channel: str, raw: str) -> str:
    if channel == "sms":
        return normalise_phone(raw)
    if channel == "email":
        return normalise_email(raw)
    raise InvalidDestination(f"unknown channel {channel!r}")


def mask(channel: str, address: str) -> str:
    """For logs: enough to tell messages apart, not enough to read the address."""
    if channel == "sms":
        return address[:5] + "*" * max(0, len(address) - 8) + address[-3:]
    local, _, domain = address.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"
