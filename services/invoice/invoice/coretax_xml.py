"""Streaming, hardened reader of Coretax `TaxInvoiceBulk` files.

- Streaming: `xml.etree.ElementTree.XMLPullParser` fed in chunks; each `TaxInvoice` is turned into plain dicts and
  cleared as soon as it ends, so memory stays flat for files of 10,000+ invoices.
- Hardened: any `<!DOCTYPE` or `<!ENTITY` is refused before it reaches the parser (no DTD means no entity
  expansion, no external entities, no billion laughs); only UTF-8 is accepted; size is limited by the caller (413).
- Tolerant of the generators' deviations that are still well-formed XML (element order, missing optional
  elements, attributes/namespaces on the root, whitespace): values are collected by element name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

ROOT = "TaxInvoiceBulk"
CHUNK = 1 << 16
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class FileRejected(Exception):
    def __init__(self, code: str, message: str, path: str = "/") -> None:
        super().__init__(message)
        self.code, self.message, self.path = code, message, path


@dataclass
class ParsedInvoice:
    position: int  # 1-based
    header: dict[str, str | None]
    lines: list[dict[str, str | None]]

    @property
    def path(self) -> str:
        return f"/{ROOT}/ListOfTaxInvoice/TaxInvoice[{self.position}]"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def check_prolog(data: bytes) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        raise FileRejected("xml.encoding_unsupported", "the file is UTF-16; save it as UTF-8")
    m = _ENCODING.match(data[:300].removeprefix(b"\xef\xbb\xbf"))
    if m and m.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
        raise FileRejected("xml.encoding_unsupported", f"encoding {m.group(1).decode()} is not UTF-8")


def seller_tin_hint(data: bytes) -> str | None:
    """The root TIN, read cheaply from the start of the file (for an immediate 403 on a foreign seller)."""
    m = re.search(rb"<TIN>\s*(\d+)\s*</TIN>", data[:4096])
    return m.group(1).decode() if m else None


def read(data: bytes) -> tuple[str, Iterator[ParsedInvoice]]:
    """(seller TIN, invoices). Raises FileRejected for a file that cannot be read at all; iterating may raise it too
    (malformed XML further down the file)."""
    check_prolog(data)
    parser = ET.XMLPullParser(events=("start", "end"))
    events = _events(parser, data)
    tin: str | None = None
    depth = 0
    for event, elem in events:
        name = _local(elem.tag)
        if event == "start":
            depth += 1
            if depth == 1 and name != ROOT:
                raise FileRejected("xml.wrong_root", f"the root element is {name}, not {ROOT}", f"/{name}")
            if name == "ListOfTaxInvoice":
                break
        elif name == "TIN" and depth == 2:
            tin = (elem.text or "").strip()
            depth -= 1
        else:
            depth -= 1
    else:
        raise FileRejected("xml.no_invoices", "the file has no ListOfTaxInvoice", f"/{ROOT}")
    if not tin:
        raise FileRejected("field.required", "the seller TIN is missing", f"/{ROOT}/TIN")
    return tin, _invoices(events)


def _events(parser: ET.XMLPullParser, data: bytes) -> Iterator[tuple[str, ET.Element]]:
    view = memoryview(data)
    tail = b""
    for offset in range(0, max(len(data), 1), CHUNK):
        chunk = bytes(view[offset:offset + CHUNK])
        window = tail + chunk
        for marker in _FORBIDDEN:
            if marker in window:
                raise FileRejected("xml.doctype_forbidden", f"{marker.decode()} is not allowed in an upload")
        tail = window[-16:]
        try:
            parser.feed(chunk)
            yield from parser.read_events()  # type: ignore[misc]
        except ET.ParseError as exc:
            raise _malformed(exc) from None
    try:
        parser.close()
        yield from parser.read_events()  # type: ignore[misc]
    except ET.ParseError as exc:
        raise _malformed(exc) from None


def _malformed(exc: ET.ParseError) -> FileRejected:
    line, column = exc.position
    return FileRejected("xml.malformed", f"not well-formed XML: {exc}", f"line {line}, column {column + 1}")


def _invoices(events: Iterator[tuple[str, ET.Element]]) -> Iterator[ParsedInvoice]:
    position = 0
    for event, elem in events:
        if event != "end" or _local(elem.tag) != "TaxInvoice":
            continue
        position += 1
        header: dict[str, str | None] = {}
        lines: list[dict[str, str | None]] = []
        for child in elem:
            name = _local(child.tag)
            if name == "ListOfGoodService":
                for good in child:
                    if _local(good.tag) == "GoodService":
                        lines.append({_local(f.tag): (f.text or "") for f in good})
            else:
                header[name] = child.text or ""
        elem.clear()
        yield ParsedInvoice(position, header, lines)
