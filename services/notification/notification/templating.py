"""Message templates, kept as data (`notification/templates/*.json`, one file per template), in Bahasa Indonesia
and English. Placeholders are `${name}` (string.Template: no attribute access, no expressions); every placeholder
must be a declared parameter and every locale must have what its channels need, checked when the catalogue loads,
so a broken template stops the process at start rather than a message at send time.

A file:
    {"name": "taxpayer.registered", "kind": "notice", "statutory": true, "description": "...",
     "params": ["name", "npwp"], "formats": {"amount": "rupiah"}, "channels": ["inbox", "email"],
     "locales": {"id": {"subject": "...", "body": "...", "sms": "..."}, "en": {...}}}
SMS uses `sms`; e-mail and the inbox use `subject` and `body`. `formats` (optional) says how a parameter reads in
each language (`notification.formatting`: rupiah, percent, date, datetime, period, schedule, label:<table>); the
others are inserted as given. An absent (null) value reads as '-'.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notification.formatting import MISSING, Formatter, formatter, nullable

PACKAGED = Path(__file__).resolve().parent / "templates"
LOCALES = ("id", "en")
CHANNELS = ("sms", "email", "inbox")
REDACTED = "******"


class TemplateError(ValueError):
    """A template file is malformed (raised at load)."""


class UnknownTemplate(LookupError):
    """No template of that name, or it has no variant for the channel."""


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    locale: str


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    kind: str  # otp | notice
    statutory: bool
    description: str
    params: frozenset[str]
    channels: tuple[str, ...]
    locales: Mapping[str, Mapping[str, string.Template]]
    formats: Mapping[str, Formatter] = field(default_factory=dict)

    def render(self, channel: str, locale: str, params: Mapping[str, Any], *, default_locale: str = "id") -> Rendered:
        if channel not in self.channels:
            raise UnknownTemplate(f"template {self.name!r} has no {channel} variant")
        chosen = locale if locale in self.locales else default_locale
        parts = self.locales[chosen]
        values = {k: self._value(k, v, chosen) for k, v in params.items() if k in self.params}
        missing = self.params - values.keys()
        if missing:
            raise KeyError(f"template {self.name!r} needs {', '.join(sorted(missing))}")
        if channel == "sms":
            return Rendered(None, parts["sms"].substitute(values), chosen)
        return Rendered(parts["subject"].substitute(values), parts["body"].substitute(values), chosen)

    def _value(self, name: str, value: Any, locale: str) -> str:
        fmt = self.formats.get(name)
        if fmt is not None:
            return fmt(value, locale)
        return MISSING if value is None else str(value)


class Catalogue:
    def __init__(self, templates: Mapping[str, MessageTemplate]) -> None:
        self.templates = dict(templates)

    def get(self, name: str, channel: str | None = None) -> MessageTemplate:
        template = self.templates.get(name)
        if template is None:
            raise UnknownTemplate(f"no template {name!r}")
        if channel is not None and channel not in template.channels:
            raise UnknownTemplate(f"template {name!r} has no {channel} variant")
        return template

    def notices(self) -> list[MessageTemplate]:
        return sorted((t for t in self.templates.values() if t.kind == "notice"), key=lambda t: t.name)

    @classmethod
    def load(cls, folder: Path | str | None = None) -> Catalogue:
        folder = Path(folder) if folder else PACKAGED
        templates = {}
        for path in sorted(folder.glob("*.json")):
            template = parse_template(json.loads(path.read_text(encoding="utf-8")), source=path.name)
            if template.name in templates:
                raise TemplateError(f"{path.name}: template {template.name!r} defined twice")
            templates[template.name] = template
        return cls(templates)


def parse_template(raw: Mapping[str, Any], *, source: str = "<template>") -> MessageTemplate:
    def fail(why: str) -> TemplateError:
        return TemplateError(f"{source}: {why}")

    try:
        name, kind, channels, params = raw["name"], raw["kind"], tuple(raw["channels"]), frozenset(raw["params"])
        locales_raw = raw["locales"]
    except (KeyError, TypeError) as exc:
        raise fail(f"missing or malformed field {exc}") from None
    if kind not in ("otp", "notice"):
        raise fail("kind is otp or notice")
    if not channels or any(c not in CHANNELS for c in channels):
        raise fail(f"channels are among {', '.join(CHANNELS)}")
    if kind == "otp" and "code" not in params:
        raise fail("an OTP template has a `code` parameter")
    formats_raw = raw.get("formats") or {}
    if not isinstance(formats_raw, Mapping):
        raise fail("formats map a parameter to its format")
    formats: dict[str, Formatter] = {}
    for param, spec in formats_raw.items():
        if param not in params:
            raise fail(f"formats: {param!r} is not a declared parameter")
        try:
            formats[param] = nullable(formatter(str(spec)))
        except KeyError:
            raise fail(f"formats: unknown format {spec!r} for {param!r}") from None
    if set(locales_raw) != set(LOCALES):
        raise fail(f"locales are exactly {', '.join(LOCALES)}")
    needed = ({"sms"} if "sms" in channels else set()) | \
        ({"subject", "body"} if {"email", "inbox"} & set(channels) else set())
    locales: dict[str, dict[str, string.Template]] = {}
    for locale, parts in locales_raw.items():
        if not needed <= set(parts):
            raise fail(f"locale {locale} lacks {', '.join(sorted(needed - set(parts)))}")
        compiled = {}
        for part, text in parts.items():
            template = string.Template(text)
            if not template.is_valid():
                raise fail(f"{locale}.{part}: malformed placeholder")
            unknown = set(template.get_identifiers()) - params
            if unknown:
                raise fail(f"{locale}.{part}: undeclared placeholder(s) {', '.join(sorted(unknown))}")
            compiled[part] = template
        locales[locale] = compiled
    return MessageTemplate(name=name, kind=kind, statutory=bool(raw.get("statutory", kind == "otp")),
                           description=str(raw.get("description", "")), params=params, channels=channels,
                           locales=locales, formats=formats)


def otp_template_name(purpose: str) -> str:
    return f"otp.{purpose}"
