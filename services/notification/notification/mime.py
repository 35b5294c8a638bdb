"""The e-mail we send: one text/plain part in UTF-8 (RFC 5322, MIME RFC 2045-2047), built directly as bytes.

The `email` package parses every header it is given back into structured objects; that cost more CPU than the rest of
a notice. What goes in here is already ours: recipients are validated ASCII addresses (notification.addresses),
subjects and bodies come from our templates. Line breaks are still taken out of header values, so nothing a
template parameter contains can add a header.
"""

from __future__ import annotations

import binascii
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr


def envelope_sender(sender: str) -> str:
    """The address part of `Name <address>`: the SMTP envelope sender (MAIL FROM)."""
    return parseaddr(sender)[1]


def from_header(sender: str) -> str:
    """`Name <address>` with a non-ASCII display name encoded (RFC 2047); computed once per provider."""
    name, address = parseaddr(sender)
    return formataddr((name, address), charset="utf-8")


def plain_text_email(*, from_: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    headers = (
        f"From: {_one_line(from_)}\r\n"
        f"To: {_one_line(to)}\r\n"
        f"Subject: {_subject(subject)}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        f"Message-ID: {_one_line(message_id)}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    text = body.replace("\r\n", "\n").encode("utf-8")
    # quoted-printable keeps lines under 76 characters and ASCII text readable; CRLF line ends for SMTP
    encoded = binascii.b2a_qp(text, istext=True).replace(b"\n", b"\r\n")
    return headers.encode("ascii") + encoded + b"\r\n"


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _subject(subject: str) -> str:
    value = _one_line(subject)
    if value.isascii() and len(value) <= 68:
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n")
