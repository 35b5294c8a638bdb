"""SQL of uploads: the stored file, its claim by a processor, the COPY of its rows, its results."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Text, cast, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from invoice.models import invoice_upload, invoice_upload_result
from invoice.uploads.ingest import INVOICE_COLUMNS, LINE_COLUMNS, RESULT_COLUMNS, Rows

_CLAIM = ("UPDATE invoice_upload SET state = 'processing', attempts = attempts + 1, "
          "lease_until = now() + make_interval(secs => :lease) WHERE id = (SELECT id FROM invoice_upload "
          "WHERE {where} ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id")
_CLAIMABLE = "(state = 'received' OR (state = 'processing' AND lease_until < now()))"
_CLAIM_ANY = text(_CLAIM.format(where=_CLAIMABLE))
_CLAIM_ONE = text(_CLAIM.format(where=_CLAIMABLE + " AND id = :id"))
_SHOWN = [c for c in invoice_upload.c if c.name not in ("content", "callback_client")]


def _json_load(value: str) -> Any:
    return [] if value == "[]" else json.loads(value)


class UploadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **values: Any) -> None:
        await self.session.execute(insert(invoice_upload).values(**values))

    async def get(self, upload_id: uuid.UUID) -> dict[str, Any] | None:
        """The upload without its file and callback client."""
        row = (await self.session.execute(select(*_SHOWN).where(invoice_upload.c.id == upload_id))).mappings().first()
        return dict(row) if row else None

    async def results(self, upload_id: uuid.UUID) -> list[dict[str, Any]]:
        r = invoice_upload_result.c
        # errors/warnings as text: most are "[]", decoded here without json.loads (10,000+ rows per file)
        rows = await self.session.execute(select(r.position, r.ref_desc, r.invoice_id, cast(r.errors, Text),
                                                 cast(r.warnings, Text)).where(r.upload_id == upload_id)
                                          .order_by(r.position))
        return [{"position": position, "ref_desc": ref, "invoice_id": invoice_id, "errors": _json_load(errors),
                 "warnings": _json_load(warnings)} for position, ref, invoice_id, errors, warnings in rows]

    async def claim(self, lease_s: int, upload_id: uuid.UUID | None = None) -> uuid.UUID | None:
        """Take one file to process: a new one, or one whose processor's lease expired."""
        if upload_id is None:
            row = (await self.session.execute(_CLAIM_ANY, {"lease": lease_s})).first()
        else:
            row = (await self.session.execute(_CLAIM_ONE, {"lease": lease_s, "id": upload_id})).first()
        return row[0] if row else None

    async def source(self, upload_id: uuid.UUID) -> tuple[bytes, str, str]:
        """The file, its seller and who sent it."""
        row = (await self.session.execute(select(invoice_upload.c.content, invoice_upload.c.seller_npwp,
                                                 invoice_upload.c.created_by)
                                          .where(invoice_upload.c.id == upload_id))).one()
        return row[0], row[1], row[2]

    async def lock(self, upload_id: uuid.UUID) -> None:
        await self.session.execute(select(invoice_upload.c.id).where(invoice_upload.c.id == upload_id)
                                   .with_for_update())

    async def plan_each_query(self) -> None:
        """Until the transaction ends: a custom plan for every execution of a prepared statement (as a generic plan,
        PostgreSQL's choice after five runs, `ref_desc = ANY($2)` compares every reference with every row of the
        seller; a custom plan hashes the array)."""
        await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    async def copier(self) -> Any:
        """The driver's connection under the session's transaction (which must be open), for `copy`."""
        return (await (await self.session.connection()).get_raw_connection()).driver_connection

    @staticmethod
    async def copy(raw: Any, rows: Rows) -> None:
        # invoices before their lines (foreign key); each COPY in the one transaction of the upload
        for table, columns, payload in (("invoice", INVOICE_COLUMNS, rows.invoices),
                                        ("invoice_line", LINE_COLUMNS, rows.lines),
                                        ("invoice_upload_result", RESULT_COLUMNS, rows.results)):
            if payload:
                await raw.copy_to_table(table, source=memoryview(payload), columns=columns, format="text")

    async def finish(self, upload_id: uuid.UUID, state: str, **values: Any) -> None:
        await self.session.execute(update(invoice_upload).where(invoice_upload.c.id == upload_id).values(
            state=state, **values, lease_until=None, completed_at=text("now()")))

    async def callback(self, upload_id: uuid.UUID) -> tuple[str | None, str | None]:
        row = (await self.session.execute(select(invoice_upload.c.callback_url, invoice_upload.c.callback_client)
                                          .where(invoice_upload.c.id == upload_id))).first()
        return (row[0], row[1]) if row else (None, None)
