"""Password reset. The answer is the same whether or not the login exists; a reset password logs in; every
session and refresh token issued before the reset is revoked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity import otp
from identity.audit import record
from identity.errors import OTPInvalid, RegistrationNotFound
from identity.models import Account, LoginThrottle, OTPChallenge, PasswordReset, Person, RefreshToken, Taxpayer
from identity.numbers import normalise
from identity.passwords import Passwords, check_password_rules
from identity.sessions import find_account
from identity.settings import IdentitySettings
from kit.db import UnitOfWork

PURPOSE = "password_reset"
RESET_TTL = timedelta(minutes=30)


class ResetNotFound(RegistrationNotFound):
    code, title = "password_reset.not_found", "Password reset not found or expired"


async def start(uow: UnitOfWork, settings: IdentitySettings, *, login: str, channel: str, ip: str) -> PasswordReset:
    async with uow:
        s = uow.session
        found = await find_account(s, login)
        reset = PasswordReset(id=uuid.uuid4(), account_id=found[0].id if found else None,
                              expires_at=datetime.now(UTC) + RESET_TTL)
        s.add(reset)
        await s.flush()
        if found:
            account = found[0]
            await otp.issue(s, settings.otp, otp.OTPRequest(
                purpose=PURPOSE, subject_id=str(reset.id), channel=channel,
                destination=account.email if channel == "email" else account.phone, account_id=account.id,
                locale=account.locale, ip=ip))
        await record(s, "password_reset_requested", ip=ip, actor=str(found[0].id) if found else None,
                     details={"login": normalise(login)[:4] + "****", "channel": channel})
        await uow.commit()
        return reset


async def confirm(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, reset_id: uuid.UUID, *,
                  code: str, new_password: str, ip: str) -> None:
    check_password_rules(new_password)
    password_hash = await passwords.hash(new_password)
    async with uow:
        s = uow.session
        reset = (await s.execute(select(PasswordReset).where(PasswordReset.id == reset_id)
                                 .with_for_update())).scalar_one_or_none()
        if reset is None or reset.state != "pending" or reset.expires_at < datetime.now(UTC):
            raise ResetNotFound()
        if reset.account_id is None:
            raise OTPInvalid("wrong or already used code")  # exactly what a wrong code on a real account says
        challenge = (await s.execute(select(OTPChallenge.channel).where(OTPChallenge.subject_id == str(reset.id))
                                     .order_by(OTPChallenge.created_at.desc()).limit(1))).scalar_one()
        outcome = await otp.check(s, settings.otp, subject_id=str(reset.id), purpose=PURPOSE, channel=challenge,
                                  code=code)
        if isinstance(outcome, Exception):
            await uow.commit()
            raise outcome
        now = datetime.now(UTC)
        account = await s.get(Account, reset.account_id, with_for_update=True)
        assert account is not None
        account.password_hash = password_hash
        account.sessions_valid_after = now
        account.failed_logins = 0
        reset.state = "completed"
        await s.execute(update(RefreshToken).where(RefreshToken.account_id == account.id,
                                                   RefreshToken.revoked_at.is_(None)).values(revoked_at=now))
        # The owner proved control of the contact: clear the back-off on every login of theirs.
        person_logins = [v for v in await _logins_of(s, account) if v]
        await s.execute(delete(LoginThrottle).where(LoginThrottle.login.in_(person_logins)))
        await record(s, "password_reset", actor=str(account.id), ip=ip)
        await uow.commit()


async def _logins_of(s: AsyncSession, account: Account) -> list[str | None]:
    person = await s.get(Person, account.person_id)
    npwps = (await s.execute(select(Taxpayer.npwp, Taxpayer.nitku).where(Taxpayer.person_id == account.person_id))).all()
    return [person.nik, person.identity_number, *[v for row in npwps for v in row]]
