"""Notices from domain events: one template + one small handler per event.

A notice goes to the taxpayer's inbox and, when a contact is known (`recipient`), by e-mail (and SMS where the
template has an SMS text and a phone is known), in the recipient's language. Statutory notices always go; others
respect the taxpayer's preference. Redelivered events change nothing: the kit inbox drops them, and inbox items and
messages are unique per source event. A notice made before the taxpayer's contacts arrived (identity's events may lag
behind filing's and payment's) is sent when they do, if it is recent (`catch_up`, rules in `notification.catchup`).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import TaxpayerRegistered, TaxpayerUpdated
from kit.consumer import Handlers
from kit.replica import apply_taxpayer_updated, apply_taxpayers_registered
from notification.addresses import InvalidDestination, normalise, normalise_email, normalise_phone
from notification.catchup import CONTACT_OF, lacks_contact, newly_reachable, sendable
from notification.clock import wib
from notification.metrics import MESSAGES, REJECTED
from notification.otp import Context
from notification.repository import (
    InboxRepository,
    MessageRepository,
    PreferenceRepository,
    RecipientRepository,
    wake_dispatchers,
)
from notification.templating import MessageTemplate, UnknownTemplate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One notice to one taxpayer. `dedupe_key` (default: notice name and event id) makes it once-only: a second
    notice with the same key and name for the taxpayer adds nothing."""

    taxpayer: str
    event_id: uuid.UUID
    params: Mapping[str, Any]
    dedupe_key: str | None = None


async def create_notices(session: AsyncSession, ctx: Context, name: str, notices: Sequence[Notice]) -> int:
    """Inbox items and messages for notices of one kind, a few statements for all of them. Returns how many were
    made: none when the template is unknown; those a taxpayer switched off (if not statutory) are left out."""
    try:
        template = ctx.catalogue.get(name)
    except UnknownTemplate as exc:
        REJECTED.labels("notice", "unknown_template").inc(len(notices))
        log.error("notice without a template", extra={"notice": name, "error": str(exc)})
        return 0
    if not template.statutory:
        off = await PreferenceRepository(session).switched_off(name, [n.taxpayer for n in notices])
        if off:
            REJECTED.labels("notice", "switched_off").inc(sum(n.taxpayer in off for n in notices))
            notices = [n for n in notices if n.taxpayer not in off]
    recipients = RecipientRepository(session)
    known = await recipients.get_many([n.taxpayer for n in notices])
    lacking = {n.taxpayer for n in notices if lacks_contact(known.get(n.taxpayer), template.channels)}
    if lacking and "inbox" in template.channels:
        # contacts being recorded at this very moment: read them once committed, or let their catch-up find these
        known.update(await recipients.hold_for_notices(lacking))
    default = ctx.settings.default_locale
    inbox_items, messages = [], []
    for notice in notices:
        recipient = known.get(notice.taxpayer)
        locale = (recipient.locale if recipient else None) or default
        source = notice.dedupe_key or f"{name}:{notice.event_id}"
        if "inbox" in template.channels:
            rendered = template.render("inbox", locale, notice.params, default_locale=default)
            inbox_items.append(dict(taxpayer=notice.taxpayer, notice=name, title=rendered.subject or name,
                                    body=rendered.body, locale=rendered.locale, statutory=template.statutory,
                                    source_event_id=source, params=dict(notice.params)))
        for channel, field in CONTACT_OF.items():
            address = getattr(recipient, field) if recipient else None
            if channel not in template.channels or not address:
                continue
            message = _message(template, channel, address, locale, notice.params, source=source,
                               taxpayer=notice.taxpayer, default_locale=default)
            if message is not None:
                messages.append(message)
    await InboxRepository(session).add_many(inbox_items)
    await _queue(session, messages)
    return len(notices)


def _message(template: MessageTemplate, channel: str, address: str, locale: str, params: Mapping[str, Any], *,
             source: str, taxpayer: str, default_locale: str) -> dict[str, Any] | None:
    """The notice's message on one channel, or None when the contact is no valid destination."""
    try:
        to = normalise(channel, address)
    except InvalidDestination as exc:
        REJECTED.labels("notice", "invalid_destination").inc()
        log.warning("notice not sent: bad contact", extra={"notice": template.name, "channel": channel,
                                                          "error": str(exc)})
        return None
    rendered = template.render(channel, locale, params, default_locale=default_locale)
    return dict(kind="notice", channel=channel, recipient=to, template=template.name, locale=rendered.locale,
                subject=rendered.subject, body=rendered.body, params=dict(params), state="queued",
                request_id=source, taxpayer=taxpayer)


async def _queue(session: AsyncSession, messages: list[dict[str, Any]]) -> int:
    """Queue the messages (those of a request and channel seen before are left out) and wake the dispatchers."""
    queued = await MessageRepository(session).insert_many(messages)
    for channel, count in Counter(m["channel"] for m in queued).items():
        MESSAGES.labels("notice", channel, "queued").inc(count)
    if queued:
        await wake_dispatchers(session)
    return len(queued)


async def catch_up(session: AsyncSession, ctx: Context, reachable: Sequence[tuple[str, str]]) -> int:
    """Contacts just became known for these (taxpayer, channel) pairs: the notices of the last
    `notices.catch_up_days` already in those taxpayers' inboxes and without a message on that channel are sent
    there, as `create_notices` would send them now (template channels, statutory or not switched off, valid
    destination, the recipient's language). One query and one insert for all; a message per notice and channel
    at most, whatever is replayed. Returns how many messages were queued."""
    days = ctx.settings.notices.catch_up_days
    if not reachable or days <= 0:
        return 0
    default = ctx.settings.default_locale
    messages = []
    for item in await InboxRepository(session).awaiting_contact(reachable, days=days):
        template = ctx.catalogue.templates.get(item.notice)
        if not sendable(template, item.channel, switched_off=item.switched_off):
            continue
        assert template is not None
        try:
            message = _message(template, item.channel, item.address, item.locale or default, item.params,
                               source=item.source_event_id, taxpayer=item.taxpayer, default_locale=default)
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:  # its template changed since it was made
            REJECTED.labels("notice", "unrenderable").inc()
            log.warning("notice not caught up", extra={"notice": item.notice, "error": repr(exc)})
            continue
        if message is not None:
            messages.append(message)
    queued = await _queue(session, messages)
    if queued:
        log.info("notices sent to contacts that became known", extra={"messages": queued})
    return queued


async def create_notice(session: AsyncSession, ctx: Context, *, notice: str, taxpayer: str, event_id: uuid.UUID,
                        params: Mapping[str, Any], dedupe_key: str | None = None) -> bool:
    """One notice (see `create_notices`). Returns False when it is not sent at all (unknown template, switched
    off)."""
    return await create_notices(session, ctx, notice, [Notice(taxpayer, event_id, params, dedupe_key)]) > 0


def identity_handlers(ctx: Context) -> Handlers:
    """`identity.events`: the taxpayer replica (kit) plus the notices these facts call for."""
    handlers = Handlers()

    @handlers.on_many(TaxpayerRegistered)
    async def taxpayers_registered(session: AsyncSession,
                                   events: list[tuple[Envelope, TaxpayerRegistered]]) -> None:
        await apply_taxpayers_registered(session, events)
        # the contacts first: the registration notice is the first thing that goes to them
        await _record_contacts(session, ctx, [(envelope, event) for envelope, event in events
                                              if event.email or event.phone], full_view=False)
        await create_notices(session, ctx, "taxpayer.registered", [
            Notice(event.npwp, envelope.id, {"name": event.name, "npwp": event.npwp, "nitku": event.nitku,
                                             "registered_on": wib(event.registered_at, "%d-%m-%Y")},
                   dedupe_key=f"taxpayer.registered:{event.taxpayer_id}")  # once, however often replayed
            for envelope, event in events])

    @handlers.on(TaxpayerUpdated)
    async def taxpayer_updated(session: AsyncSession, envelope: Envelope, event: TaxpayerUpdated) -> None:
        """identity's current view carries the contacts: they are where notices go (the language stays ours)."""
        await apply_taxpayer_updated(session, envelope, event)
        await _record_contacts(session, ctx, [(envelope, event)], full_view=True)

    return handlers


async def _record_contacts(session: AsyncSession, ctx: Context,
                           events: Sequence[tuple[Envelope, TaxpayerRegistered | TaxpayerUpdated]], *,
                           full_view: bool) -> None:
    """The one way identity's contacts reach `recipient`: normalised, ordered by identity's version of the taxpayer
    (the envelope's sequence), so a TaxpayerUpdated arriving before or after its TaxpayerRegistered leaves the
    newest contact. A contact that becomes known sends the recent notices that waited for it (`catch_up`)."""
    contacts = [dict(taxpayer=event.npwp, email=_valid(normalise_email, event.email),
                     phone=_valid(normalise_phone, event.phone), source_sequence=envelope.sequence)
                for envelope, event in events]
    if not contacts:
        return
    recipients = RecipientRepository(session)
    known = await recipients.get_many([c["taxpayer"] for c in contacts])
    await recipients.record_contacts(contacts, full_view=full_view)
    await catch_up(session, ctx, newly_reachable(known, contacts))


def _valid(normalise, address: str | None) -> str | None:  # type: ignore[no-untyped-def]
    if not address:
        return None
    try:
        return normalise(address)  # type: ignore[no-any-return]
    except InvalidDestination:
        REJECTED.labels("notice", "invalid_destination").inc()
        return None
