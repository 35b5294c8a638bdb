"""Use cases of the notification API: the taxpayer's inbox and preferences, recipients' contacts, message lookup.
Each owns its transaction."""

from __future__ import annotations

import uuid

from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.errors import ValidationFailed
from kit.pagination import CursorParams, encode_cursor
from notification.addresses import InvalidDestination, normalise_email, normalise_phone
from notification.catchup import newly_reachable
from notification.clock import utcnow
from notification.errors import InboxItemNotFound, MessageNotFound, StatutoryNotice, UnknownNotice
from notification.notices import catch_up
from notification.otp import Context
from notification.repository import InboxRepository, MessageRepository, PreferenceRepository, RecipientRepository
from notification.schemas import (
    AttemptRead,
    InboxItemRead,
    InboxPage,
    MessageRead,
    NoticePreferenceRead,
    PreferencesRead,
    PreferencesUpdate,
    RecipientRead,
    RecipientUpdate,
)
from notification.templating import Catalogue


async def list_inbox(uow: UnitOfWork, principal: Principal, params: CursorParams, *, taxpayer: str | None,
                     unread_only: bool = False) -> InboxPage:
    npwp = acting_taxpayer(principal, taxpayer)
    async with uow:
        repo = InboxRepository(uow.session)
        page = await repo.page(npwp, params, unread_only=unread_only)
        unread = await repo.unread_count(npwp)
    last = page.items[-1] if page.items else None
    return InboxPage(items=[InboxItemRead.model_validate(i) for i in page.items],
                     next_cursor=encode_cursor(last.created_at, last.id) if page.has_more and last else None,
                     unread_count=unread)


async def mark_read(uow: UnitOfWork, principal: Principal, item_id: uuid.UUID) -> InboxItemRead:
    async with uow:
        item = await InboxRepository(uow.session).mark_read(item_id, sorted(principal.taxpayer_ids), utcnow())
        if item is None:  # another taxpayer's item is as missing as one that does not exist
            raise InboxItemNotFound(f"no inbox item {item_id}")
        read = InboxItemRead.model_validate(item)
        await uow.commit()
    return read


async def get_preferences(uow: UnitOfWork, principal: Principal, catalogue: Catalogue, *, taxpayer: str | None,
                          default_locale: str) -> PreferencesRead:
    npwp = acting_taxpayer(principal, taxpayer)
    async with uow:
        return await _preferences(uow, catalogue, npwp, default_locale)


async def update_preferences(uow: UnitOfWork, principal: Principal, catalogue: Catalogue, body: PreferencesUpdate,
                             *, taxpayer: str | None, default_locale: str) -> PreferencesRead:
    npwp = acting_taxpayer(principal, taxpayer)
    notices = {t.name: t for t in catalogue.notices()}
    for name, enabled in body.notices.items():
        if name not in notices:
            raise UnknownNotice(f"no notice {name!r}; known: {', '.join(sorted(notices))}")
        if notices[name].statutory and not enabled:
            raise StatutoryNotice(f"{name} is a statutory notice and is always sent")
    async with uow:
        prefs = PreferenceRepository(uow.session)
        for name, enabled in body.notices.items():
            if not notices[name].statutory:
                await prefs.set(npwp, name, enabled)
        if body.locale is not None:
            await RecipientRepository(uow.session).upsert(npwp, locale=body.locale)
        result = await _preferences(uow, catalogue, npwp, default_locale)
        await uow.commit()
    return result


async def _preferences(uow: UnitOfWork, catalogue: Catalogue, npwp: str, default_locale: str) -> PreferencesRead:
    disabled = await PreferenceRepository(uow.session).disabled(npwp)
    recipient = await RecipientRepository(uow.session).get(npwp)
    locale = (recipient.locale if recipient else None) or default_locale
    return PreferencesRead(taxpayer=npwp, locale=locale, notices=[  # type: ignore[arg-type]
        NoticePreferenceRead(notice=t.name, description=t.description, statutory=t.statutory,
                             enabled=t.statutory or t.name not in disabled)
        for t in catalogue.notices()])


async def set_recipient(uow: UnitOfWork, ctx: Context, npwp: str, body: RecipientUpdate) -> RecipientRead:
    """Contacts set by hand; one that becomes known gets the recent notices that waited for it, as from identity."""
    values = body.model_dump(exclude_unset=True)
    try:
        if values.get("email"):
            values["email"] = normalise_email(values["email"])
        if values.get("phone"):
            values["phone"] = normalise_phone(values["phone"])
    except InvalidDestination as exc:
        raise ValidationFailed(str(exc)) from None
    async with uow:
        recipients = RecipientRepository(uow.session)
        known = await recipients.get_many([npwp])
        recipient = await recipients.upsert(npwp, **values)
        read = RecipientRead.model_validate(recipient)
        await catch_up(uow.session, ctx, newly_reachable(known, [{"taxpayer": npwp, **values}]))
        await uow.commit()
    return read


async def find_messages(uow: UnitOfWork, *, request_id: str) -> list[MessageRead]:
    async with uow:
        repo = MessageRepository(uow.session)
        found = []
        for message in await repo.find(request_id=request_id):
            read = MessageRead.model_validate(message)
            read.delivery_attempts = [AttemptRead.model_validate(a) for a in await repo.attempts_of(message.id)]
            found.append(read)
    if not found:
        raise MessageNotFound(f"no message for request {request_id}")
    return found
