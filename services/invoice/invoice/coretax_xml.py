"""Streaming, hardened reader of Coretax `TaxInvoiceBulk` files.

- Streaming: the head of the file (up to `ListOfTaxInvoice`) is read by an expat parser that stops there; the
  invoices by `xml.etree.ElementTree.XMLPullParser` listening to `end` events only, fed in small pieces: each
  `TaxInvoice` is turned into plain dicts and cleared as soon as it ends, so memory stays flat for files of 10,000+
  invoices (and few elements are alive at a time, which keeps the garbage collector's work small).
- Hardened: any `<!DOCTYPE` or `<!ENTITY` is refused before it reaches a parser (no DTD means no entity expansion, no
  external entities, no billion laughs); the head parser also refuses a DOCTYPE, entity or notation declaration
  itself (a DOCTYPE can only stand before the root element) and never reads parameter or external entities; only
  UTF-8 is accepted; size is limited by the caller (413).
- Tolerant of the generators' deviations that are still well-formed XML (element order, missing optional
  elements, attributes/namespaces on the root, whitespace): values are collected by element name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

ROOT = "TaxInvoiceBulk"
CHUNK = 1 << 16  # checked for forbidden markers, then fed
FEED = 1 << 12  # fed to the invoice parser at a time: few elements wait for the Python side
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class FileRejected(Exception):
    def __init__(self, code: str, message: str, path: str = "/") -> None:
        super().__init__(message)
        self.code, self.message, self.path = code, message, path


@dataclass(slots=True)
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
    head = _Head()
    head.read(data)
    if not head.tin:
        raise FileRejected("field.required", "the seller TIN is missing", f"/{ROOT}/TIN")
    return head.tin, _invoices(data, skip=head.invoices_before)


def _chunks(data: bytes) -> Iterator[bytes]:
    tail = b""
    for offset in range(0, max(len(data), 1), CHUNK):
        chunk = data[offset:offset + CHUNK]
        window = tail + chunk
        for marker in _FORBIDDEN:
            if marker in window:
                raise FileRejected("xml.doctype_forbidden", f"{marker.decode()} is not allowed in an upload")
        tail = window[-16:]
        yield chunk


def _malformed(exc: ET.ParseError | expat.ExpatError) -> FileRejected:
    line, column = exc.position if isinstance(exc, ET.ParseError) else (exc.lineno, exc.offset)
    return FileRejected("xml.malformed", f"not well-formed XML: {exc}", f"line {line}, column {column + 1}")


def _refuse_declaration(*_: Any) -> None:
    raise FileRejected("xml.doctype_forbidden", "DOCTYPE and entity declarations are not allowed in an upload")


class _HeadRead(Exception):
    """ListOfTaxInvoice has started: the head is read."""


class _Head:
    """The root (its name is checked), its TIN and whether ListOfTaxInvoice starts, with expat handlers that stop at
    the start of ListOfTaxInvoice; `invoices_before` counts the TaxInvoice elements that ended before it (not read,
    as before)."""

    def __init__(self) -> None:
        self.tin: str | None = None
        self.invoices_before = 0
        self._depth = 0
        self._tin_text = ""  # a root-level TIN's text
        self._collecting = False  # inside that TIN, before any child element of it

    def read(self, data: bytes) -> None:
        parser = expat.ParserCreate(None, "}")  # as ElementTree: namespace-aware ("{uri}local" names)
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_declaration
        parser.EntityDeclHandler = _refuse_declaration
        parser.UnparsedEntityDeclHandler = _refuse_declaration
        parser.NotationDeclHandler = _refuse_declaration
        parser.ExternalEntityRefHandler = _refuse_declaration
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        try:
            for chunk in _chunks(data):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _HeadRead:
            return
        except expat.ExpatError as exc:
            raise _malformed(exc) from None
        raise FileRejected("xml.no_invoices", "the file has no ListOfTaxInvoice", f"/{ROOT}")

    def _start(self, name: str, attrs: Any) -> None:
        self._depth += 1
        local = _local(name)
        if self._depth == 1 and local != ROOT:
            raise FileRejected("xml.wrong_root", f"the root element is {local}, not {ROOT}", f"/{local}")
        if local == "ListOfTaxInvoice":
            raise _HeadRead
        if self._depth == 2 and local == "TIN":
            self._tin_text, self._collecting = "", True
        else:
            self._collecting = False

    def _end(self, name: str) -> None:
        local = _local(name)
        if self._depth == 2 and local == "TIN":
            self.tin = self._tin_text.strip()
        elif local == "TaxInvoice":
            self.invoices_before += 1
        self._depth -= 1
        self._collecting = False

    def _data(self, text: str) -> None:
        if self._collecting:
            self._tin_text += text


def _pieces(data: bytes) -> Iterator[bytes | None]:
    """The data in pieces of FEED bytes (checked by CHUNK), then None for the end."""
    for chunk in _chunks(data):
        for offset in range(0, len(chunk), FEED):
            yield chunk[offset:offset + FEED]
    yield None


def _invoices(data: bytes, *, skip: int) -> Iterator[ParsedInvoice]:
    """Every TaxInvoice that ends after ListOfTaxInvoice has started (the first `skip` ended before), in the order
    in which they end: its values are its child elements' text by local name (the last one wins), its lines the
    GoodService children of its ListOfGoodService elements."""
    parser = ET.XMLPullParser(events=("end",))
    local_of: dict[str, str] = {}

    def local(tag: str) -> str:
        name = local_of.get(tag)
        if name is None:
            name = local_of[tag] = _local(tag)
        return name

    position = 0
    for piece in _pieces(data):
        try:
            if piece is None:
                parser.close()
            else:
                parser.feed(piece)
            for _, elem in parser.read_events():  # the events before an error come first, then the error
                tag = elem.tag
                if tag != "TaxInvoice" and tag[-11:] != "}TaxInvoice":
                    continue
                if skip:
                    skip -= 1
                    continue
                position += 1
                header: dict[str, str | None] = {}
                lines: list[dict[str, str | None]] = []
                for child in elem:
                    name = local(child.tag)
                    if name == "ListOfGoodService":
                        for good in child:
                            if local(good.tag) == "GoodService":
                                lines.append({local(f.tag): (f.text or "") for f in good})
                    else:
                        header[name] = child.text or ""
                elem.clear()
                yield ParsedInvoice(position, header, lines)
        except ET.ParseError as exc:
            raise _malformed(exc) from None
