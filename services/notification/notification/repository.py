"""All SQL of the notification service."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import notify_once
from kit.pagination import CursorParams
from notification.models import DeliveryAttempt, InboxItem, Message, NoticePreference, Recipient

DISPATCH_CHANNEL = "notification_dispatch"

_M = Message.__table__
_A = DeliveryAttempt.__table__

# Statements built once and executed with parameters: compiled once, not per message.
_INSERT_MESSAGE = insert(_M).on_conflict_do_nothing(index_elements=["request_id", "channel"]).returning(_M.c.id)
_COUNT_RECENT_OTP = text("""
    SELECT recipient, count(*) FROM message
    WHERE recipient = ANY(:recipients) AND kind = 'otp' AND created_at > now() - make_interval(secs => :window)
      AND (state <> 'failed' OR attempts > 0)
    GROUP BY recipient""")
_ADD_ATTEMPT = insert(_A)

# Notices
_RECIPIENTS = text("SELECT taxpayer, email, phone, locale FROM recipient WHERE taxpayer = ANY(:taxpayers)")
_SWITCHED_OFF = text("SELECT taxpayer FROM notice_preference WHERE notice = :notice AND NOT enabled "
                     "AND taxpayer = ANY(:taxpayers)")
_ADD_INBOX_ITEM = insert(InboxItem.__table__).on_conflict_do_nothing(
    index_elements=["taxpayer", "source_event_id", "notice"])
# A notice that finds no contact for a channel holds the taxpayer's recipient row (made, empty, if there is none) until
# it commits, and reads the contacts again: contacts being recorded at that moment either commit first (and are read)
# or wait for the notice to be committed (and their catch-up finds it in the inbox). Rows in one order: no deadlock.
_ENSURE_RECIPIENTS = text("INSERT INTO recipient (taxpayer) SELECT t FROM unnest(CAST(:taxpayers AS text[])) AS t "
                          "ORDER BY t ON CONFLICT (taxpayer) DO NOTHING")
_HOLD_RECIPIENTS = text("SELECT taxpayer, email, phone, locale FROM recipient WHERE taxpayer = ANY(:taxpayers) "
                        "ORDER BY taxpayer FOR SHARE")
# Inbox items of the last `days` for (taxpayer, channel) pairs whose contact just became known, without a message on
# that channel yet, with the contact, the language and whether the taxpayer switched the notice off.
_AWAITING_CONTACT = text("""
    SELECT i.taxpayer, i.notice, i.source_event_id, i.params, c.channel, r.locale,
           CASE c.channel WHEN 'email' THEN r.email ELSE r.phone END AS address,
           EXISTS (SELECT 1 FROM notice_preference p
                   WHERE p.taxpayer = i.taxpayer AND p.notice = i.notice AND NOT p.enabled) AS switched_off
    FROM unnest(CAST(:taxpayers AS text[]), CAST(:channels AS text[])) AS c(taxpayer, channel)
    JOIN recipient r ON r.taxpayer = c.taxpayer
    JOIN inbox_item i ON i.taxpayer = c.taxpayer
    WHERE i.created_at > now() - make_interval(days => :days) AND i.params IS NOT NULL
      AND CASE c.channel WHEN 'email' THEN r.email ELSE r.phone END IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM message m WHERE m.request_id = i.source_event_id AND m.channel = c.channel)
    ORDER BY i.created_at, i.id""")

# Contacts from identity's events. Each row remembers identity's version of the taxpayer it came from (the envelope's
# `sequence`), so a fact older than the one held (a replay, a republication) changes nothing; a contact set by hand
# (no sequence) gives way to any. TaxpayerUpdated is the full view: a contact it lacks is gone. TaxpayerRegistered
# only fills in: events published before it carried contacts say nothing about them.
_R = Recipient.__table__
_contacts = insert(_R)
_contacts_not_older = or_(_R.c.source_sequence.is_(None), _R.c.source_sequence <= _contacts.excluded.source_sequence)
_CONTACTS_VIEW = _contacts.on_conflict_do_update(
    index_elements=[_R.c.taxpayer], where=_contacts_not_older,
    set_={"email": _contacts.excluded.email, "phone": _contacts.excluded.phone,
          "source_sequence": _contacts.excluded.source_sequence, "updated_at": func.now()})
_CONTACTS_FILL = _contacts.on_conflict_do_update(
    index_elements=[_R.c.taxpayer], where=_contacts_not_older,
    set_={"email": func.coalesce(_contacts.excluded.email, _R.c.email),
          "phone": func.coalesce(_contacts.excluded.phone, _R.c.phone),
          "source_sequence": _contacts.excluded.source_sequence, "updated_at": func.now()})

# Delivery reports
_FIND_ATTEMPT = text("SELECT id, message_id FROM delivery_attempt WHERE provider = :provider "
                     "AND provider_message_id = :pmid")
_LOCK_MESSAGE = text("SELECT id, kind, request_id, account_id, channel, state, provider, provider_message_id, "
                     "attempts, expires_at, error FROM message WHERE id = :id FOR UPDATE")
_LOCK_ATTEMPT = text("SELECT state FROM delivery_attempt WHERE id = :id FOR UPDATE")
_SET_ATTEMPT_REPORTED = text("UPDATE delivery_attempt SET state = :state, reported_at = now(), "
                             "error = coalesce(:error, error) WHERE id = :id")
_MARK_DELIVERED = text("""
    UPDATE message SET state = 'delivered', delivered_at = now(), report_deadline = NULL, sealed_code = NULL,
           lease_until = NULL, updated_at = now()
    WHERE id = :id""")
_REQUEUE = text("""
    UPDATE message SET state = 'queued', next_attempt_at = now(), suspect_provider = :suspect, error = :error,
           report_deadline = NULL, updated_at = now()
    WHERE id = :id""")
_FAIL_REPORTED = text("""
    UPDATE message SET state = 'failed', failed_at = now(), sealed_code = NULL, error = :error, report_deadline = NULL,
           updated_at = now()
    WHERE id = :id""")
_MARK_SENT = text("""
    UPDATE message m SET state = 'sent', provider = v.provider, provider_message_id = v.provider_message_id,
           attempts = v.attempts, sent_at = now(), error = NULL, suspect_provider = NULL, lease_until = NULL,
           report_deadline = v.report_deadline, updated_at = now(),
           sealed_code = CASE WHEN v.keep_sealed_code THEN m.sealed_code END
    FROM unnest(CAST(:id AS uuid[]), CAST(:provider AS text[]), CAST(:provider_message_id AS text[]),
                CAST(:attempts AS int[]), CAST(:report_deadline AS timestamptz[]), CAST(:keep_sealed_code AS bool[]))
         AS v(id, provider, provider_message_id, attempts, report_deadline, keep_sealed_code)
    WHERE m.id = v.id AND m.state = 'queued' RETURNING m.id""")
_MARK_FAILED = text("""
    UPDATE message SET state = 'failed', attempts = :attempts, failed_at = now(), error = :error, sealed_code = NULL,
           suspect_provider = NULL, lease_until = NULL, updated_at = now()
    WHERE id = :id AND state = 'queued' RETURNING id""")
_SCHEDULE_RETRY = text("""
    UPDATE message SET attempts = :attempts, rounds = :rounds, error = :error, suspect_provider = NULL,
           next_attempt_at = now() + make_interval(secs => :delay), lease_until = NULL, updated_at = now()
    WHERE id = :id AND state = 'queued' RETURNING id""")


async def wake_dispatchers(session: AsyncSession) -> None:
    """NOTIFY at commit: dispatchers LISTENing pick new work up at once."""
    await notify_once(session, DISPATCH_CHANNEL)


@dataclass(frozen=True)
class Reported:
    attempt_id: int
    attempt_state: str
    message: dict[str, Any]


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, **values: Any) -> uuid.UUID | None:
        """A new message, unless one exists for the same request (or event) and channel: then None."""
        values.setdefault("id", uuid.uuid4())
        return (await self.session.execute(_INSERT_MESSAGE, values)).scalar_one_or_none()

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """New messages (one multi-row statement); those that exist for the same request and channel are left
        out. Returns the rows made."""
        if not rows:
            return []
        rows = [{"id": uuid.uuid4(), **row} for row in rows]
        made = set((await self.session.execute(_INSERT_MESSAGE, rows)).scalars())
        return [row for row in rows if row["id"] in made]

    async def count_recent_otp(self, recipients: Collection[str], window_s: int) -> Counter[str]:
        """OTP messages accepted per destination within the window (requests refused on arrival don't count)."""
        if not recipients:
            return Counter()
        rows = await self.session.execute(_COUNT_RECENT_OTP, {"recipients": list(recipients), "window": window_s})
        return Counter({recipient: count for recipient, count in rows})

    async def claim_due(self, limit: int, lease_s: float) -> list[dict[str, Any]]:
        """Due queued messages nobody holds, leased to the caller (FOR UPDATE SKIP LOCKED: workers never share)."""
        rows = await self.session.execute(text("""
            UPDATE message m SET lease_until = now() + make_interval(secs => :lease)
            FROM (SELECT id FROM message
                  WHERE state = 'queued' AND next_attempt_at <= now()
                    AND (lease_until IS NULL OR lease_until < now())
                  ORDER BY next_attempt_at LIMIT :n FOR UPDATE SKIP LOCKED) due
            WHERE m.id = due.id
            RETURNING m.id, m.kind, m.channel, m.recipient, m.template, m.locale, m.params, m.request_id,
                      m.account_id, m.taxpayer, m.sealed_code, m.expires_at, m.attempts, m.rounds,
                      m.suspect_provider
        """), {"lease": lease_s, "n": limit})
        return [dict(r) for r in rows.mappings()]

    async def failed_providers(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
        rows = await self.session.execute(
            select(_A.c.message_id, _A.c.provider).where(
                _A.c.message_id.in_(message_ids), _A.c.state.in_(("failed", "rejected", "unconfirmed"))))
        out: dict[uuid.UUID, set[str]] = {}
        for message_id, provider in rows:
            out.setdefault(message_id, set()).add(provider)
        return out

    async def add_attempts(self, attempts: Sequence[dict[str, Any]]) -> None:
        if attempts:
            await self.session.execute(_ADD_ATTEMPT, list(attempts))

    # The outcome of a dispatch, written only if the message is still queued (nobody else decided meanwhile); each
    # returns whether it was. Fixed statements: compiled once, however many messages a dispatcher records.
    async def mark_sent_many(self, sent: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """Messages handed over (`id`, `provider`, `provider_message_id`, `attempts`, `report_deadline`,
        `keep_sealed_code` each), one statement for all. Returns the ids that were still queued."""
        if not sent:
            return set()
        columns = {k: [s[k] for s in sent] for k in ("id", "provider", "provider_message_id", "attempts",
                                                      "report_deadline", "keep_sealed_code")}
        return set((await self.session.execute(_MARK_SENT, columns)).scalars())

    async def mark_failed(self, message_id: uuid.UUID, *, attempts: int, error: str) -> bool:
        return await self._claimed_update(_MARK_FAILED, id=message_id, attempts=attempts, error=error[:500])

    async def schedule_retry(self, message_id: uuid.UUID, *, attempts: int, rounds: int, delay_s: float,
                             error: str) -> bool:
        return await self._claimed_update(_SCHEDULE_RETRY, id=message_id, attempts=attempts, rounds=rounds,
                                          delay=delay_s, error=error[:500])

    async def _claimed_update(self, statement: Any, **params: Any) -> bool:
        return (await self.session.execute(statement, params)).first() is not None

    async def requeue_unreported(self, limit: int = 500) -> list[tuple[uuid.UUID, str]]:
        """Sent messages whose delivery report is overdue go back to the queue, to fail over to another provider."""
        rows = (await self.session.execute(text("""
            UPDATE message m SET state = 'queued', next_attempt_at = now(), report_deadline = NULL,
                   suspect_provider = m.provider, error = 'no delivery report from ' || m.provider,
                   updated_at = now()
            FROM (SELECT id FROM message WHERE state = 'sent' AND report_deadline < now()
                  ORDER BY report_deadline LIMIT :n FOR UPDATE SKIP LOCKED) due
            WHERE m.id = due.id
            RETURNING m.id, m.provider
        """), {"n": limit})).all()
        if rows:
            await self.session.execute(
                update(_A).where(_A.c.message_id.in_([r[0] for r in rows]), _A.c.state == "accepted")
                .values(state="unconfirmed", reported_at=func.now(), error="no delivery report in time"))
        return [(r[0], r[1]) for r in rows]

    async def lock_reported(self, provider: str, provider_message_id: str) -> Reported | None:
        """The attempt a delivery report is about and its message, both locked (message first, as everywhere)."""
        found = (await self.session.execute(_FIND_ATTEMPT, {"provider": provider, "pmid": provider_message_id})
                 ).first()
        if found is None:
            return None
        message = (await self.session.execute(_LOCK_MESSAGE, {"id": found.message_id})).mappings().one()
        state = (await self.session.execute(_LOCK_ATTEMPT, {"id": found.id})).scalar_one()
        return Reported(found.id, state, dict(message))

    async def set_attempt_reported(self, attempt_id: int, *, state: str, error: str | None = None) -> None:
        await self.session.execute(_SET_ATTEMPT_REPORTED, {"id": attempt_id, "state": state, "error": error})

    async def mark_delivered(self, message_id: uuid.UUID) -> None:
        await self.session.execute(_MARK_DELIVERED, {"id": message_id})

    async def requeue_for_failover(self, message_id: uuid.UUID, *, suspect_provider: str, error: str) -> None:
        await self.session.execute(_REQUEUE, {"id": message_id, "suspect": suspect_provider, "error": error[:500]})

    async def fail_reported(self, message_id: uuid.UUID, *, error: str) -> None:
        await self.session.execute(_FAIL_REPORTED, {"id": message_id, "error": error[:500]})

    async def get(self, message_id: uuid.UUID) -> Message | None:
        return await self.session.get(Message, message_id)

    async def find(self, *, request_id: str) -> list[Message]:
        result = await self.session.execute(
            select(Message).where(Message.request_id == request_id).order_by(Message.created_at))
        return list(result.scalars())

    async def attempts_of(self, message_id: uuid.UUID) -> list[DeliveryAttempt]:
        result = await self.session.execute(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id).order_by(DeliveryAttempt.id))
        return list(result.scalars())


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, taxpayer: str) -> Recipient | None:
        return await self.session.get(Recipient, taxpayer)

    async def get_many(self, taxpayers: Sequence[str]) -> dict[str, Any]:
        """Contacts and language per taxpayer, for those we know (rows with `.email`, `.phone`, `.locale`)."""
        rows = await self.session.execute(_RECIPIENTS, {"taxpayers": list(set(taxpayers))})
        return {row.taxpayer: row for row in rows}

    async def hold_for_notices(self, taxpayers: Collection[str]) -> dict[str, Any]:
        """As `get_many`, after holding (FOR SHARE, until the transaction ends) each taxpayer's row, made empty if
        there is none: contacts being recorded for them meanwhile are committed first, or wait for this transaction."""
        ordered = sorted(set(taxpayers))
        await self.session.execute(_ENSURE_RECIPIENTS, {"taxpayers": ordered})
        rows = await self.session.execute(_HOLD_RECIPIENTS, {"taxpayers": ordered})
        return {row.taxpayer: row for row in rows}

    async def record_contacts(self, contacts: Sequence[Mapping[str, Any]], *, full_view: bool) -> None:
        """Contacts from identity's events (`taxpayer`, `email`, `phone`, `source_sequence`), in event order: an
        older fact than the row holds is ignored; `full_view` (TaxpayerUpdated) replaces both contacts, otherwise
        (TaxpayerRegistered) an absent one keeps what is known."""
        if contacts:  # executemany: applied row by row, in order (a taxpayer may come twice in one fetch); sorted by
            # taxpayer (stable: each one's events keep their order) to lock rows in the order notices hold them
            rows = sorted((dict(c) for c in contacts), key=lambda c: c["taxpayer"])
            await self.session.execute(_CONTACTS_VIEW if full_view else _CONTACTS_FILL, rows)

    async def upsert(self, taxpayer: str, **values: Any) -> Recipient:
        stmt = insert(Recipient).values(taxpayer=taxpayer, **values)
        if values:
            stmt = stmt.on_conflict_do_update(index_elements=["taxpayer"],
                                              set_={**{k: stmt.excluded[k] for k in values}, "updated_at": func.now()})
        else:
            stmt = stmt.on_conflict_do_nothing()
        await self.session.execute(stmt)
        recipient = await self.session.get(Recipient, taxpayer, populate_existing=True)
        assert recipient is not None
        return recipient


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def disabled(self, taxpayer: str) -> set[str]:
        rows = await self.session.execute(select(NoticePreference.notice).where(
            NoticePreference.taxpayer == taxpayer, NoticePreference.enabled.is_(False)))
        return set(rows.scalars())

    async def switched_off(self, notice: str, taxpayers: Sequence[str]) -> set[str]:
        """Those of `taxpayers` who switched this notice off (without a preference it is on)."""
        rows = await self.session.execute(_SWITCHED_OFF, {"notice": notice, "taxpayers": list(set(taxpayers))})
        return set(rows.scalars())

    async def set(self, taxpayer: str, notice: str, enabled: bool) -> None:
        stmt = insert(NoticePreference).values(taxpayer=taxpayer, notice=notice, enabled=enabled)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=["taxpayer", "notice"], set_={"enabled": stmt.excluded.enabled, "updated_at": func.now()}))


@dataclass
class InboxSlice:
    items: list[InboxItem]
    has_more: bool


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, items: Sequence[dict[str, Any]]) -> None:
        """New inbox items; one that exists for the same taxpayer, source event and notice is left out."""
        if items:
            await self.session.execute(_ADD_INBOX_ITEM, [{"id": uuid.uuid4(), **item} for item in items])

    async def awaiting_contact(self, reachable: Sequence[tuple[str, str]], *, days: int) -> list[Any]:
        """Items of the last `days` for each (taxpayer, channel) in `reachable` whose contact is now known and that
        have no message on that channel (rows: `taxpayer`, `notice`, `source_event_id`, `params`, `channel`,
        `address`, `locale`, `switched_off`), oldest first. Items made before their parameters were kept are left
        out."""
        if not reachable:
            return []
        rows = await self.session.execute(_AWAITING_CONTACT, {
            "taxpayers": [t for t, _ in reachable], "channels": [c for _, c in reachable], "days": days})
        return list(rows)

    async def page(self, taxpayer: str, params: CursorParams, *, unread_only: bool = False) -> InboxSlice:
        """Newest first, keyset on (created_at, id)."""
        query = select(InboxItem).where(InboxItem.taxpayer == taxpayer)
        if unread_only:
            query = query.where(InboxItem.read_at.is_(None))
        if params.after is not None:
            a = params.after
            query = query.where(or_(InboxItem.created_at < a.created_at,
                                    and_(InboxItem.created_at == a.created_at, InboxItem.id < a.id)))
        query = query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).limit(params.limit + 1)
        items = list((await self.session.execute(query)).scalars())
        return InboxSlice(items[:params.limit], len(items) > params.limit)

    async def unread_count(self, taxpayer: str) -> int:
        result = await self.session.execute(select(func.count()).select_from(InboxItem).where(
            InboxItem.taxpayer == taxpayer, InboxItem.read_at.is_(None)))
        return int(result.scalar_one())

    async def mark_read(self, item_id: uuid.UUID, taxpayers: Sequence[str], at: datetime) -> InboxItem | None:
        item = (await self.session.execute(
            select(InboxItem).where(InboxItem.id == item_id, InboxItem.taxpayer.in_(list(taxpayers)))
            .with_for_update())).scalar_one_or_none()
        if item is not None and item.read_at is None:
            item.read_at = at
            await self.session.flush()
        return item
