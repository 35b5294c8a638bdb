"""Notices that wait for a contact: the pure rules of the catch-up (no I/O).

Events of different services are not ordered with respect to each other: a taxpayer's first receipts, billing codes
and letters may be consumed before identity's TaxpayerRegistered brings the contacts. Such a notice goes to the inbox
only; when an e-mail or phone becomes known (none was before), the recent ones (`notices.catch_up_days`) are sent to
it, on each channel that has no message for them yet. A contact that replaces another is not a catch-up: what went
to the first address is not sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from notification.templating import MessageTemplate

CONTACT_OF = {"email": "email", "sms": "phone"}  # channel -> the recipient's contact it goes to


def contact_channels(channels: Iterable[str]) -> list[str]:
    """The channels among `channels` that need a contact (the inbox needs none)."""
    return [c for c in channels if c in CONTACT_OF]


def lacks_contact(recipient: Any | None, channels: Iterable[str]) -> bool:
    """Whether a notice on `channels` finds no contact for one of them (`recipient`: `.email`, `.phone`, or
    None when none is known): such a notice may have to wait for a contact being recorded at the same moment."""
    needed = contact_channels(channels)
    if not needed:
        return False
    if recipient is None:
        return True
    return any(not getattr(recipient, CONTACT_OF[c]) for c in needed)


def newly_reachable(known: Mapping[str, Any], incoming: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(taxpayer, channel) for each contact `incoming` brings (dicts with `taxpayer` and any of `email`, `phone`)
    that the taxpayer had none of before (`known`: taxpayer -> `.email`, `.phone`; absent: nothing known). Whether
    the contact was kept (identity's newest version wins) the database says when the notices are looked up."""
    found: set[tuple[str, str]] = set()
    for contacts in incoming:
        before = known.get(contacts["taxpayer"])
        for channel, field in CONTACT_OF.items():
            if contacts.get(field) and not (before is not None and getattr(before, field)):
                found.add((contacts["taxpayer"], channel))
    return sorted(found)


def sendable(template: MessageTemplate | None, channel: str, *, switched_off: bool) -> bool:
    """A notice in the inbox goes out on `channel` as `create_notices` would send it now: its template still exists
    and has that channel (SMS only where it has an SMS text), and it is statutory or the taxpayer has not switched it
    off."""
    return (template is not None and template.kind == "notice" and channel in template.channels
            and (template.statutory or not switched_off))
