"""Argon2id password hashing on a thread pool sized to the cores (argon2-cffi releases the GIL, so the cores hash in
parallel while the event loop serves other requests), and load shedding in front of it: under a surge a login is
refused at once with 503 and Retry-After rather than queued for seconds (Keycloak's `http-max-queued-requests`)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from identity.settings import LoginSettings
from kit.app import AppState, StartupStep
from kit.errors import AppError, ValidationFailed

T = TypeVar("T")
QUEUED_PER_WORKER = 4  # the default of `max_queued`, per hashing thread


class WeakPassword(ValidationFailed):
    code, title = "password.weak", "Password does not meet the rules"


class LoginOverloaded(AppError):
    code, status, title = "login.overloaded", 503, "Too many logins at once: try again shortly"


def available_cores(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may use: its CPU affinity, lowered to its cgroup v2 CPU quota if it has one (a
    Kubernetes CPU limit), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def lower_priority(nice: int) -> None:
    """The calling thread's nice value (on Linux each thread has its own): the event loop, at the process's own
    priority, then gets a core as soon as it needs one, so answers (a 503 first of all) never wait behind hashing,
    while hashing still takes every cycle the loop leaves."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class Passwords:
    def __init__(self, settings: LoginSettings) -> None:
        self._hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib,
                                      parallelism=settings.argon2_parallelism)
        self.workers = settings.hash_workers or available_cores()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="argon2", initializer=lower_priority,
                                        initargs=(settings.hash_nice,))  # threads start on first use
        queued = QUEUED_PER_WORKER * self.workers if settings.max_queued is None else settings.max_queued
        self.capacity = self.workers + queued  # logins in flight at most
        self._retry_after = settings.overloaded_retry_after_s
        self.in_flight = 0  # logins admitted and not finished (this process)
        self.shed = 0  # logins refused with 503 since start
        # Verifying against this when the login is unknown costs the same as a real check, so response time does
        # not reveal whether an account exists.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    @property
    def full(self) -> bool:
        return self.in_flight >= self.capacity

    def overloaded(self) -> LoginOverloaded:
        self.shed += 1
        return LoginOverloaded("identity is busy: try again shortly", retry_after=self._retry_after)

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """Around a whole login (before it takes a database connection): past `workers + max_queued` logins in
        flight, LoginOverloaded at once. The event loop is one thread, so the count needs no lock."""
        if self.full:
            raise self.overloaded()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        return await self._run(check)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def passwords_lifespan(settings: LoginSettings) -> StartupStep:
    """The process's Passwords (and its hashing threads), stopped with the app."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        passwords = state.provide(Passwords(settings))
        try:
            yield
        finally:
            passwords.close()

    return step


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
