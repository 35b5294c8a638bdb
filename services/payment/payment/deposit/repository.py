"""SQL of the deposit slice: its movements, the deposit account's credits (for the deposit date), the registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import CursorParams
from payment.models import DepositMovement, LedgerAccount, LedgerTransfer, taxpayer

ZERO = Decimal(0)


class DepositRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_account(self, account_id: uuid.UUID) -> bool:
        """Lock the deposit account (before the ledger posting reads it); False when it was never opened."""
        found = await self.session.scalar(
            select(LedgerAccount.id).where(LedgerAccount.id == account_id).with_for_update())
        return found is not None

    async def credits(self, account_id: uuid.UUID) -> list[tuple[datetime, Decimal]]:
        """(effective date, amount) of every credit to the account, oldest first."""
        rows = await self.session.execute(
            select(LedgerTransfer.effective_at, LedgerTransfer.amount)
            .where(LedgerTransfer.credit_account_id == account_id)
            .order_by(LedgerTransfer.effective_at, LedgerTransfer.id))
        return [(r[0], r[1]) for r in rows]

    async def debited(self, account_id: uuid.UUID) -> Decimal:
        return await self.session.scalar(
            select(func.coalesce(func.sum(LedgerTransfer.amount), ZERO))
            .where(LedgerTransfer.debit_account_id == account_id)) or ZERO

    async def balance(self, account_id: uuid.UUID) -> Decimal:
        credited = await self.session.scalar(
            select(func.coalesce(func.sum(LedgerTransfer.amount), ZERO))
            .where(LedgerTransfer.credit_account_id == account_id)) or ZERO
        return credited - await self.debited(account_id)

    async def registered(self, npwp: str) -> bool:
        return await self.session.scalar(select(taxpayer.c.npwp).where(taxpayer.c.npwp == npwp)) is not None

    async def add(self, movement: DepositMovement) -> None:
        self.session.add(movement)
        await self.session.flush()

    async def get(self, movement_id: uuid.UUID, *, lock: bool = False) -> DepositMovement | None:
        query = select(DepositMovement).where(DepositMovement.id == movement_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def page(self, npwp: str, params: CursorParams) -> tuple[list[DepositMovement], bool]:
        query = (select(DepositMovement).where(DepositMovement.npwp == npwp)
                 .order_by(DepositMovement.created_at, DepositMovement.id).limit(params.limit + 1))
        if params.after is not None:
            query = query.where(tuple_(DepositMovement.created_at, DepositMovement.id)
                                > tuple_(literal(params.after.created_at), literal(params.after.id)))
        rows = list((await self.session.scalars(query)).all())
        return rows[:params.limit], len(rows) > params.limit

    async def refund_queue(self, limit: int) -> list[DepositMovement]:
        return list((await self.session.scalars(
            select(DepositMovement).where(DepositMovement.kind == "refund", DepositMovement.status == "requested")
            .order_by(DepositMovement.created_at, DepositMovement.id).limit(limit))).all())

    async def flush(self) -> None:
        await self.session.flush()
