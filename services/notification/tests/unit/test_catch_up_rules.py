"""Which notices wait for a contact and which contacts make them go out: the catch-up's pure rules."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from notification.catchup import contact_channels, lacks_contact, newly_reachable, sendable
from notification.templating import MessageTemplate, parse_template


def contacts(email: str | None = None, phone: str | None = None) -> Any:
    return SimpleNamespace(email=email, phone=phone)


def template(channels: list[str], *, statutory: bool = True, kind: str = "notice") -> MessageTemplate:
    parts = {"subject": "s", "body": "b", "sms": "t"} if kind == "notice" else {"sms": "${code}"}
    return parse_template({"name": "x", "kind": kind, "statutory": statutory, "params": ["code"] if kind == "otp"
                           else [], "channels": channels, "locales": {"id": parts, "en": parts}})


@pytest.mark.parametrize(("channels", "expected"), [
    (["inbox", "email"], ["email"]),
    (["inbox", "email", "sms"], ["email", "sms"]),
    (["inbox"], []),
])
def test_contact_channels_are_email_and_sms(channels: list[str], expected: list[str]) -> None:
    assert contact_channels(channels) == expected


@pytest.mark.parametrize(("recipient", "channels", "lacks"), [
    (None, ["inbox", "email"], True),  # nothing known
    (contacts(), ["inbox", "email"], True),  # a row without contacts
    (contacts(email="a@b.id"), ["inbox", "email"], False),
    (contacts(email="a@b.id"), ["inbox", "email", "sms"], True),  # the phone may still come
    (contacts(phone="+6281"), ["inbox", "email"], True),
    (contacts(email="a@b.id", phone="+6281"), ["inbox", "email", "sms"], False),
    (None, ["inbox"], False),  # the inbox needs no contact
])
def test_a_notice_lacks_a_contact_when_one_of_its_channels_has_none(recipient: Any, channels: list[str],
                                                                     lacks: bool) -> None:
    assert lacks_contact(recipient, channels) is lacks


@pytest.mark.parametrize(("known", "incoming", "expected"), [
    # nothing known: each contact the event brings
    ({}, [{"taxpayer": "1", "email": "a@b.id", "phone": "+6281"}], [("1", "email"), ("1", "sms")]),
    ({}, [{"taxpayer": "1", "email": "a@b.id", "phone": None}], [("1", "email")]),
    # a row without contacts (made by a notice, or a registration without them) is nothing known
    ({"1": contacts()}, [{"taxpayer": "1", "email": "a@b.id"}], [("1", "email")]),
    # a phone added to a known e-mail: the SMS only
    ({"1": contacts(email="a@b.id")}, [{"taxpayer": "1", "email": "a@b.id", "phone": "+6281"}], [("1", "sms")]),
    # a replacement is no catch-up: what went to the first address is not sent again
    ({"1": contacts(email="a@b.id")}, [{"taxpayer": "1", "email": "c@d.id", "phone": None}], []),
    # the same contacts again, or none
    ({"1": contacts(email="a@b.id", phone="+6281")}, [{"taxpayer": "1", "email": "a@b.id", "phone": "+6281"}], []),
    ({}, [{"taxpayer": "1", "email": None, "phone": None}], []),
    # a hand-set update naming only the language
    ({}, [{"taxpayer": "1", "locale": "en"}], []),
    # several taxpayers, one twice in a fetch: each pair once, in order
    ({"2": contacts(phone="+6282")},
     [{"taxpayer": "2", "email": "e@f.id"}, {"taxpayer": "1", "phone": "+6281"}, {"taxpayer": "1", "phone": "+6281"}],
     [("1", "sms"), ("2", "email")]),
])
def test_a_contact_is_newly_reachable_when_none_was_known_for_its_channel(
        known: dict[str, Any], incoming: list[dict[str, Any]], expected: list[tuple[str, str]]) -> None:
    assert newly_reachable(known, incoming) == expected


@pytest.mark.parametrize(("tmpl", "channel", "switched_off", "send"), [
    (template(["inbox", "email"]), "email", False, True),
    (template(["inbox", "email"]), "email", True, True),  # statutory: always
    (template(["inbox", "email"], statutory=False), "email", False, True),
    (template(["inbox", "email"], statutory=False), "email", True, False),  # switched off
    (template(["inbox", "email"]), "sms", False, False),  # no SMS channel
    (template(["inbox", "email", "sms"]), "sms", False, True),
    (None, "email", False, False),  # the template is gone
    (template(["sms"], kind="otp"), "sms", False, False),  # never an OTP
])
def test_a_waiting_notice_goes_out_as_a_new_one_would(tmpl: MessageTemplate | None, channel: str,
                                                       switched_off: bool, send: bool) -> None:
    assert sendable(tmpl, channel, switched_off=switched_off) is send
