"""E-mail addresses and Indonesian mobile numbers as identity accepts them (pure), as pydantic types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("not an e-mail address")
    return value  # kept exactly as given: case included (DJP compares what users retype)


def phone(value: str) -> str:
    """Indonesian mobile numbers as DJP accepts them (0... or +62..., 8-15 digits), normalised to E.164."""
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+62"):
        national = digits[3:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise ValueError("a phone number starts with 0 or +62")
    if not (national.isascii() and national.isdigit()) or not national.startswith("8") or not 8 <= len(national) + 1 <= 15:
        raise ValueError("not an Indonesian mobile number (08..., 8 to 15 digits)")
    return "+62" + national


def mask(destination: str) -> str:
    """An e-mail address or phone number as shown back to the user: enough to recognise it, not to use it."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return local[:2] + "*" * max(len(local) - 2, 1) + "@" + domain
    return destination[:5] + "*" * max(len(destination) - 8, 1) + destination[-3:]


Email = Annotated[str, AfterValidator(email)]
Phone = Annotated[str, AfterValidator(phone)]
