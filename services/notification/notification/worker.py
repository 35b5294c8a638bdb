"""`python -m notification.worker`: the outbox relay, the consumers (OTP requests, identity's, filing's and
payment's events) and the dispatcher that hands messages to SMS providers and the SMTP relay."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.notification import OTPDeliveryRequested
from kit.app import AppState, StartupStep
from kit.consumer import Handlers
from kit.worker import ConsumerSpec, create_worker_app, serve
from notification.dispatch import Dispatcher
from notification.notices import identity_handlers
from notification.otp import Context, accept_otp_requests
from notification.providers import Provider, SmsHttpProvider, SmtpProvider
from notification.settings import NotificationSettings, get_settings
from notification.tax_notices import filing_handlers, payment_handlers
from notification.templating import Catalogue


def command_handlers(ctx: Context) -> Handlers:
    handlers = Handlers()

    @handlers.on_many(OTPDeliveryRequested)
    async def otp_requested(session: AsyncSession, requests: list[tuple[Envelope, OTPDeliveryRequested]]) -> None:
        await accept_otp_requests(session, [request for _, request in requests], ctx)

    return handlers


def consumers(ctx: Context, group_suffix: str = "") -> list[ConsumerSpec]:
    """Consumer groups `notification.commands`, `notification.identity-events`, `notification.filing-events` and
    `notification.payment-events` (plus `group_suffix`, which tests use to start each worker in groups of its
    own)."""
    topics = ctx.settings.topics
    return [
        ConsumerSpec("commands" + group_suffix, [topics.commands], command_handlers(ctx)),
        ConsumerSpec("identity-events" + group_suffix, [topics.identity_events], identity_handlers(ctx)),
        ConsumerSpec("filing-events" + group_suffix, [topics.filing_events], filing_handlers(ctx)),
        ConsumerSpec("payment-events" + group_suffix, [topics.payment_events], payment_handlers(ctx)),
    ]


def build_providers(settings: NotificationSettings) -> dict[str, Provider]:
    base = settings.webhook_base_url.rstrip("/") if settings.webhook_base_url else None
    providers: dict[str, Provider] = {
        p.name: SmsHttpProvider(p, f"{base}/{p.name}" if base else None) for p in settings.sms.providers}
    providers[settings.smtp.name] = SmtpProvider(settings.smtp)
    return providers


def run_dispatcher(settings: NotificationSettings, catalogue: Catalogue) -> StartupStep:
    """The dispatcher that hands queued messages to the providers, stopped after its current batch on shutdown."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        providers = build_providers(settings)
        dispatcher = state.provide(Dispatcher(settings, state.sessions, providers, catalogue))
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop), name="dispatcher")
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait([task], timeout=20)
            task.cancel()
            await asyncio.gather(*(p.close() for p in providers.values()), return_exceptions=True)

    return step


def create_app(settings: NotificationSettings | None = None, *, group_suffix: str = "") -> FastAPI:
    settings = settings or get_settings()
    ctx = Context(settings, Catalogue.load(settings.templates_dir))
    return create_worker_app(settings, consumers(ctx, group_suffix),
                             startup=[run_dispatcher(settings, ctx.catalogue)])


if __name__ == "__main__":
    serve(create_app(), get_settings())
