"""Notices from domain events: one template + one small handler per event.

A notice goes to the taxpayer's inbox and, when a contact is known (`recipient`), by e-mail (and SMS where the
template has an SMS text and a phone is known), in the recipient's language. Statutory notices always go; others
respect the taxpayer's preference. Redelivered events change nothing: the kit inbox drops them, and inbox items and
messages are unique per source event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered, TaxpayerUpdated
from kit.consumer import Handlers
from kit.replica import apply_taxpayer_registered
from notification.addresses import InvalidDestination, normalise, normalise_email, normalise_phone
from notification.clock import wib
from notification.metrics import MESSAGES, REJECTED
from notification.otp import Context
from notification.repository import (InboxRepository, MessageRepository, PreferenceRepository, RecipientRepository,
                                     wake_dispatchers)
from notification.templating import UnknownTemplate

log = logging.getLogger(__name__)


async def create_notice(session: AsyncSession, ctx: Context, *, notice: str, taxpayer: str, event_id: uuid.UUID,
                        params: Mapping[str, Any], dedupe_key: str | None = None) -> bool:
    """Inbox item and messages for one notice. `dedupe_key` (default: notice name and event id) makes it once-only: a second
    notice with the same key and name for the taxpayer adds nothing. Returns False when the notice is not sent at
    all (unknown template, switched off)."""
    try:
        template = ctx.catalogue.get(notice)
    except UnknownTemplate as exc:
        REJECTED.labels("notice", "unknown_template").inc()
        log.error("notice without a template", extra={"notice": notice, "error": str(exc)})
        return False
    if not template.statutory and not await PreferenceRepository(session).is_enabled(taxpayer, notice):
        REJECTED.labels("notice", "switched_off").inc()
        return False
    recipient = await RecipientRepository(session).get(taxpayer)
    locale = (recipient.locale if recipient else None) or ctx.settings.default_locale
    source = dedupe_key or f"{notice}:{event_id}"
    default = ctx.settings.default_locale
    if "inbox" in template.channels:
        rendered = template.render("inbox", locale, params, default_locale=default)
        await InboxRepository(session).add(taxpayer=taxpayer, notice=notice, title=rendered.subject or notice,
                                           body=rendered.body, locale=rendered.locale, statutory=template.statutory,
                                           source_event_id=source)
    contacts = {"email": recipient.email if recipient else None, "sms": recipient.phone if recipient else None}
    queued = False
    for channel, address in contacts.items():
        if channel not in template.channels or not address:
            continue
        try:
            to = normalise(channel, address)
        except InvalidDestination as exc:
            REJECTED.labels("notice", "invalid_destination").inc()
            log.warning("notice not sent: bad contact", extra={"notice": notice, "channel": channel,
                                                              "error": str(exc)})
            continue
        rendered = template.render(channel, locale, params, default_locale=default)
        message_id = await MessageRepository(session).insert(
            kind="notice", channel=channel, recipient=to, template=notice, locale=rendered.locale,
            subject=rendered.subject, body=rendered.body, params=dict(params), state="queued", request_id=source,
            taxpayer=taxpayer)
        if message_id is not None:
            MESSAGES.labels("notice", channel, "queued").inc()
            queued = True
    if queued:
        await wake_dispatchers(session)
    return True


def identity_handlers(ctx: Context) -> Handlers:
    """`identity.events`: the taxpayer replica (kit) plus the notices these facts call for."""
    handlers = Handlers()

    @handlers.on(TaxpayerRegistered)
    async def taxpayer_registered(session: AsyncSession, envelope: Envelope, event: TaxpayerRegistered) -> None:
        await apply_taxpayer_registered(session, envelope, event)
        await create_notice(session, ctx, notice="taxpayer.registered", taxpayer=event.npwp, event_id=envelope.id,
                            params={"name": event.name, "npwp": event.npwp, "nitku": event.nitku,
                                    "registered_on": wib(event.registered_at, "%d-%m-%Y")},
                            dedupe_key=f"taxpayer.registered:{event.taxpayer_id}")  # once, however often replayed

    @handlers.on(TaxpayerUpdated)
    async def taxpayer_updated(session: AsyncSession, envelope: Envelope, event: TaxpayerUpdated) -> None:
        """identity's current view carries the contacts: they are where notices go (the language stays ours)."""
        await RecipientRepository(session).upsert(event.npwp, email=_valid(normalise_email, event.email),
                                                  phone=_valid(normalise_phone, event.phone))

    return handlers


def _valid(normalise, address: str | None) -> str | None:  # type: ignore[no-untyped-def]
    if not address:
        return None
    try:
        return normalise(address)  # type: ignore[no-any-return]
    except InvalidDestination:
        REJECTED.labels("notice", "invalid_destination").inc()
        return None
