"""Argon2id password hashing, off the event loop (argon2-cffi releases the GIL, so two cores hash in parallel)."""

from __future__ import annotations

import asyncio
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from identity.settings import LoginSettings
from kit.errors import ValidationFailed


class WeakPassword(ValidationFailed):
    code, title = "password.weak", "Password does not meet the rules"


class Passwords:
    def __init__(self, settings: LoginSettings) -> None:
        self._hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib,
                                      parallelism=settings.argon2_parallelism)
        # Verifying against this when the login is unknown costs the same as a real check, so response time does
        # not reveal whether an account exists.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)


def check_password_rules(password: str) -> None:
    """At least 8 characters with upper case, lower case and a digit (what DJP asks for account passwords)."""
    problems = []
    if len(password) < 8:
        problems.append("at least 8 characters")
    if len(password) > 128:
        problems.append("at most 128 characters")
    for pattern, label in ((r"[A-Z]", "an upper-case letter"), (r"[a-z]", "a lower-case letter"), (r"\d", "a digit")):
        if not re.search(pattern, password):
            problems.append(label)
    if problems:
        raise WeakPassword("the password needs " + ", ".join(problems))
