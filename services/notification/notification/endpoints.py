import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request

from kit.access import service_caller
from kit.auth import CurrentPrincipal, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow, runtime, settings_of
from kit.errors import Unauthorized, ValidationFailed
from kit.pagination import Pagination
from kit.text import text
from notification import reports, service
from notification.errors import (
    InboxItemNotFound,
    InvalidSignature,
    MalformedReport,
    MessageNotFound,
    StatutoryNotice,
    UnknownNotice,
    UnknownProvider,
)
from notification.otp import Context
from notification.schemas import (
    InboxItemRead,
    InboxPage,
    MessageRead,
    PreferencesRead,
    PreferencesUpdate,
    RecipientRead,
    RecipientUpdate,
    ReportApplied,
)
from notification.settings import NotificationSettings
from notification.templating import Catalogue

UoW = Uow
Settings = Annotated[NotificationSettings, settings_of(NotificationSettings)]
Templates = Annotated[Catalogue, runtime(Catalogue)]
TaxpayerParam = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only one")]
_AUTH = {401: Unauthorized.openapi(), 403: TaxpayerForbidden.openapi()}

router = APIRouter(prefix="/v1", tags=["inbox and preferences"])


@router.get("/inbox", response_model=InboxPage, summary="The taxpayer's notices, newest first, with the unread count",
            responses={**_AUTH, 400: TaxpayerNotChosen.openapi()})
async def get_inbox(principal: CurrentPrincipal, uow: UoW, page: Pagination, taxpayer: TaxpayerParam = None,
                    unread_only: bool = False) -> InboxPage:
    return await service.list_inbox(uow, principal, page, taxpayer=taxpayer, unread_only=unread_only)


@router.post("/inbox/{item_id}/read", response_model=InboxItemRead, summary="Mark a notice read (idempotent)",
             responses={**_AUTH, 404: InboxItemNotFound.openapi()})
async def read_item(principal: CurrentPrincipal, uow: UoW, item_id: uuid.UUID) -> InboxItemRead:
    return await service.mark_read(uow, principal, item_id)


@router.get("/preferences", response_model=PreferencesRead, summary="Language and which notices are on",
            responses={**_AUTH, 400: TaxpayerNotChosen.openapi()})
async def get_preferences(principal: CurrentPrincipal, uow: UoW, catalogue: Templates, settings: Settings,
                          taxpayer: TaxpayerParam = None) -> PreferencesRead:
    return await service.get_preferences(uow, principal, catalogue, taxpayer=taxpayer,
                                         default_locale=settings.default_locale)


@router.put("/preferences", response_model=PreferencesRead,
            summary="Change the language or switch non-statutory notices on or off",
            responses={**_AUTH, 400: TaxpayerNotChosen.openapi(), 409: StatutoryNotice.openapi(),
                       422: UnknownNotice.openapi()})
async def put_preferences(principal: CurrentPrincipal, uow: UoW, catalogue: Templates, settings: Settings,
                          body: PreferencesUpdate, taxpayer: TaxpayerParam = None) -> PreferencesRead:
    return await service.update_preferences(uow, principal, catalogue, body, taxpayer=taxpayer,
                                            default_locale=settings.default_locale)


webhooks = APIRouter(prefix="/v1/provider-webhooks", tags=["provider webhooks"])


@webhooks.post("/{provider}", response_model=ReportApplied, summary="A provider's delivery report",
               description="Signed by the provider: `X-Signature: sha256=<hex HMAC-SHA256 of the raw body with the "
                           "provider's webhook secret>`. Body: `{id, status: delivered|failed, error?}`.",
               responses={401: InvalidSignature.openapi(), 404: UnknownProvider.openapi(),
                          400: MalformedReport.openapi()})
async def provider_webhook(request: Request, uow: UoW, settings: Settings,
                           provider: Annotated[text(63), Path()],
                           x_signature: Annotated[text(200) | None, Header()] = None) -> ReportApplied:
    body = await request.body()
    _config, report = reports.authenticate_report(settings, provider, body, x_signature)
    return await reports.apply_report(uow, settings, provider, report)


internal = APIRouter(prefix="/internal/v1", tags=["notification (internal)"])
RECIPIENTS = "notification:recipients"  # an internal service's token (kit.access): set a contact by hand
MESSAGES = "notification:messages"  # an internal service's token: read the messages of a request


@internal.put("/recipients/{npwp}", response_model=RecipientRead,
              summary="Set a taxpayer's contact (until identity publishes contact events)",
              responses={422: ValidationFailed.openapi()}, dependencies=[service_caller(RECIPIENTS)])
async def put_recipient(uow: UoW, catalogue: Templates, settings: Settings,
                        npwp: Annotated[str, Path(pattern=r"^[0-9]{16}$")], body: RecipientUpdate) -> RecipientRead:
    return await service.set_recipient(uow, Context(settings, catalogue), npwp, body)


@internal.get("/messages", response_model=list[MessageRead], summary="Messages of a request (OTP request id or "
              "source event id), with their delivery attempts", responses={404: MessageNotFound.openapi()},
              dependencies=[service_caller(MESSAGES)])
async def get_messages(uow: UoW, request_id: Annotated[text(200, min_length=1), Query()]) -> list[MessageRead]:
    return await service.find_messages(uow, request_id=request_id)

