"""Reading a received e-mail: its subject and its text."""

from __future__ import annotations

import email
import email.policy
from typing import Any


def parse_email(content: bytes) -> tuple[str | None, str]:
    """(subject, body text) with line ends as `\\n`; the plain part preferred, else the HTML one."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    subject = str(message["subject"]) if message["subject"] is not None else None
    part: Any = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    return subject, body.replace("\r\n", "\n")
