"""An upload's invoices turned into the rows it stores (pure, CPU only: run off the event loop): the file read in
batches by one streaming parse, each invoice validated in file order, and the rows as PostgreSQL COPY text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from invoice import coretax_xml
from invoice.codes import error
from invoice.models import invoice, invoice_line
from invoice.taxpayers.pkp import PKPStatus
from invoice.validation import Context, validate

INVOICE_COLUMNS = [c.name for c in invoice.columns if c.name not in ("nsfp", "signed_at", "signature",
                                                                      "content_digest", "certificate_serial",
                                                                      "signed_by", "version", "created_at",
                                                                      "updated_at", "status_code", "replaces_id",
                                                                      "replaced_by", "cancelled_at", "cancellation",
                                                                      "input_tax_action", "input_tax_period",
                                                                      "input_tax_at")]
LINE_COLUMNS = [c.name for c in invoice_line.columns]


BATCH = 1_000  # invoices validated and COPYed per round (the COPY of one overlaps the parsing of the next)
RESULT_COLUMNS = ["upload_id", "position", "ref_desc", "invoice_id", "errors", "warnings"]


class Rejected(Exception):
    """The file is rejected whole (nothing of it is saved); `problem` is the error recorded on the upload."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem["code"])
        self.problem = problem


class Invoices:
    """The file's invoices, read in batches off the event loop (one streaming parse; never the whole file's)."""

    def __init__(self, content: bytes, npwp: str, max_invoices: int) -> None:
        try:
            tin, self._items = coretax_xml.read(content)
        except coretax_xml.FileRejected as exc:
            raise Rejected(error(exc.code, exc.path, exc.message)) from None
        if tin != npwp:
            raise Rejected(error("seller.not_caller", "/TaxInvoiceBulk/TIN",
                                  f"the file's seller TIN {tin} is not the taxpayer you act for ({npwp})"))
        self.max_invoices, self.count = max_invoices, 0

    def next_batch(self, size: int) -> list[coretax_xml.ParsedInvoice]:
        batch: list[coretax_xml.ParsedInvoice] = []
        try:
            for item in self._items:
                batch.append(item)
                self.count += 1
                if self.count > self.max_invoices:  # as soon as it is known, before reading further
                    raise Rejected(error("upload.too_many_invoices", "/TaxInvoiceBulk/ListOfTaxInvoice",
                                          f"more than {self.max_invoices} invoices in one file"))
                if len(batch) >= size:
                    break
        except coretax_xml.FileRejected as exc:
            raise Rejected(error(exc.code, exc.path, exc.message)) from None
        return batch


@dataclass
class Rows:
    """What a batch writes, as COPY text (PostgreSQL's text format: tab-separated, `\\N` for NULL)."""

    invoices: bytes
    lines: bytes
    results: bytes


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


# Every type a row holds, and its COPY text; any other type is a programming error (TypeError, nothing written).
_COPY_FORMAT: dict[type, Callable[[Any], str]] = {
    str: _copy_text, Decimal: str, int: str, uuid.UUID: str, date: date.isoformat, type(None): lambda _: "\\N"}
_PLAIN = frozenset({Decimal, int})  # their str() is their COPY text


def _copy_field(value: Any) -> str:
    try:
        return _COPY_FORMAT[value.__class__](value)
    except KeyError:
        if isinstance(value, uuid.UUID):  # asyncpg's own UUID (an id read from the database) is a subclass
            return str(value)
        raise TypeError(f"no COPY text format for {type(value).__name__}") from None


def _copy_row(values: Any) -> str:
    """One row of COPY text. The common case inline: strings without a backslash are taken as they are, and a
    tab, newline or carriage return in one is caught on the row (then every value goes through `_copy_field`)."""
    values = tuple(values)
    fields = [v if (cls := v.__class__) is str and "\\" not in v else str(v) if cls in _PLAIN else _copy_field(v)
              for v in values]
    row = "\t".join(fields)
    if "\n" in row or "\r" in row or row.count("\t") != len(fields) - 1:
        row = "\t".join(map(_copy_field, values))
    return row


def _copy_payload(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode() if rows else b""


def _json_list(items: list[dict[str, Any]]) -> str:
    return json.dumps(items) if items else "[]"


class Validator:
    """Validates batches in file order (a reference seen earlier in the file is taken) and turns the outcomes into
    the rows to COPY."""

    def __init__(self, npwp: str, today: date, pkp: PKPStatus, *, upload_id: uuid.UUID, created_by: str) -> None:
        self.npwp, self.today, self.pkp, self.upload_id, self.created_by = npwp, today, pkp, upload_id, created_by
        self.seen: set[str] = set()
        self.total = self.accepted = 0

    def rows(self, batch: list[coretax_xml.ParsedInvoice], taken: set[str]) -> Rows:
        """CPU work off the event loop. `batch` is emptied as it goes (each invoice is freed once done)."""
        seen = self.seen
        seen.update(taken)
        invoices, lines, results = [], [], []
        upload = str(self.upload_id)
        for index, p in enumerate(batch):
            batch[index] = None  # type: ignore[call-overload]
            base = p.path
            ctx = Context(seller_npwp=self.npwp, today=self.today, is_pkp=self.pkp, taken_references=seen,
                          path=lambda name, base=base: f"{base}/{name}",
                          line_path=lambda i, name, base=base: f"{base}/ListOfGoodService/GoodService[{i + 1}]/{name}")
            outcome = validate(p.header, p.lines, ctx)
            ref = (p.header.get("RefDesc") or "").strip()
            if ref:
                seen.add(ref)  # a second invoice with the same reference in the file is a duplicate
            invoice_id = None
            data = outcome.invoice
            if data is not None:
                invoice_id = uuid.uuid4()
                data.update(id=invoice_id, status="draft", created_by=self.created_by, upload_id=self.upload_id,
                            upload_position=p.position)
                invoices.append(_copy_row(map(data.get, INVOICE_COLUMNS)))
                line_invoice_id = str(invoice_id)
                for line in data["lines"]:
                    line["invoice_id"] = line_invoice_id
                    lines.append(_copy_row(map(line.get, LINE_COLUMNS)))
            results.append(_copy_row((upload, p.position, ref or None, invoice_id, _json_list(outcome.errors),
                                      _json_list(outcome.warnings))))
        batch.clear()
        self.total += len(results)
        self.accepted += len(invoices)
        return Rows(_copy_payload(invoices), _copy_payload(lines), _copy_payload(results))
