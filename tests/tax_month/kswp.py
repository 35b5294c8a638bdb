"""Step 6: KSWP (Konfirmasi Status Wajib Pajak) for both taxpayers, asked by an agency's machine client; the answer,
its later read, the letter (PDF) and the public verification are one stored snapshot (seed 000 item 23).

- The seller: valid. It registered this year, so the SPT Tahunan of the last two years whose deadline passed were
  not owed and count as satisfied (`owed: false`); filing them through the API is refused `return.not_owed` (tried
  here: no route creates a taxpayer registered in an earlier year, identity's legacy import included, which stamps
  the import day; reported).
- The late filer: the customs variant (the last 3 SPT Masa PPN whose deadline passed) is not valid,
  `spt_masa_ppn_not_filed`: of those three months he owed as a PKP, the one he filed late in step 4 counts as filed
  (item 24: a return filed through the API counts at once, with no lag of its own), the two others not; the
  standard variant is valid (no SPT Tahunan owed yet).
"""

from __future__ import annotations

import contextlib
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from tests.tax_month.actors import PASSPHRASE, Api, Cast
from tests.tax_month.dates import Dates
from tests.tax_month.spt import acting

AGENCY = ("filing:kswp",)


@dataclass
class Kswp:
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)


def pdf_text(content: bytes) -> str:
    """The text of fpdf2's core-font content streams: every `(...) Tj` string, in order (as filing's tests read
    their PDFs; no PDF library needed). A stream is inflated with a decompress object, which takes a stream whose
    last byte the pattern dropped (a checksum ending in CR, once in 256 PDFs), where `zlib.decompress` refuses."""
    chunks = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        raw = m.group(1)
        with contextlib.suppress(zlib.error):
            raw = zlib.decompressobj().decompress(raw)
        chunks += [re.sub(rb"\\([()\\])", rb"\1", t).decode("latin-1")
                   for t in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", raw)]
    return " ".join(chunks)


async def ask(api: Api, npwp: str, name: str, variant: str) -> dict[str, Any]:
    """A KSWP request, then the same answer read back, the letter and the public verification: all one snapshot."""
    agency = api.machine(*AGENCY)
    answer = dict(await api.call("POST", "filing", "/v1/kswp", headers=agency, expect=201, json={
        "npwp": npwp, "name": name, "agency": "Kementerian Investasi/BKPM", "service": "Izin usaha (OSS)",
        "variant": variant}))
    assert await api.call("GET", "filing", f"/v1/kswp/{answer['kswp_id']}", headers=agency) == answer
    letter = await api.http.get(f"{api.url('filing')}/v1/kswp/{answer['kswp_id']}/letter", headers=agency)
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    printed = pdf_text(letter.content).replace("\n", "")
    for value in (answer["letter_number"], answer["npwp"], answer["taxpayer_name"], answer["requested_name"],
                  answer["agency"], answer["service"], answer["snapshot_digest"], answer["verification_url"]):
        assert value in printed, (value, printed[:3000])
    assert {"valid": "Status KSWP : VALID", "invalid": "Status KSWP : TIDAK VALID"}[answer["status"]] in printed
    assert f"Alasan : {', '.join(answer['reasons'])}" in printed or not answer["reasons"], printed[:3000]
    words = {(True, True): "dilaporkan", (True, False): "belum dilaporkan", (False, False): "tidak wajib",
             (False, True): "dilaporkan"}
    for check in answer["checks"][2:]:
        for r in check["returns"]:
            assert f"{r['period']} (batas {r['due_date']}): {words[r['owed'], r['filed']]}" in printed, (r, printed)
    # The letter's QR leads to this stack's filing, as a person scanning it would follow it.
    assert answer["verification_url"].startswith(api.url("filing") + "/"), answer["verification_url"]
    verified = (await api.http.get(answer["verification_url"])).json()
    assert (verified["letter_number"], verified["status"], verified["snapshot_digest"], verified["authentic"]) == (
        answer["letter_number"], answer["status"], answer["snapshot_digest"], True), verified
    return answer


def returns(answer: dict[str, Any], check: str) -> list[tuple[str, bool, bool]]:
    found = next(c for c in answer["checks"] if c["code"] == check)
    return [(r["period"], r["owed"], r["filed"]) for r in found["returns"]]


async def kswp_for_both(api: Api, cast: Cast, dates: Dates) -> Kswp:
    out = Kswp()
    seller, late = cast.taxpayers["seller"], cast.taxpayers["late"]
    last_two = [str(dates.today.year - 1), str(dates.today.year - 2)]  # the SPT Tahunan whose deadline passed

    # -- the seller's annual returns of the last two years: not owed, since it registered this year (a taxpayer
    # registered earlier, from the legacy import, is tests/test_kswp_annual_e2e.py) ------------------------------
    as_signer = await acting(api, cast, "signer", "seller")
    for year in last_two:
        refused = await api.refused("POST", "filing", f"/v1/returns/spt-tahunan-badan/{year}/submission",
                                    headers=as_signer, params={"npwp": seller.npwp},
                                    json={"credential_id": cast.credential_id, "passphrase": PASSPHRASE})
        assert (refused.status, refused.code) == (409, "return.not_owed"), refused

    answer = await ask(api, seller.npwp, "PT. Sinar Timur  Logistik", "standard")
    assert (answer["status"], answer["reasons"]) == ("valid", []), answer
    assert returns(answer, "spt_tahunan_filed") == [(y, False, False) for y in last_two], answer
    out.answers["seller"] = answer

    # -- the late filer: three overdue SPT Masa PPN, so not valid for customs -----------------------------------
    customs = await ask(api, late.npwp, late.name, "customs")
    assert (customs["status"], customs["reasons"]) == ("invalid", ["spt_masa_ppn_not_filed"]), customs
    owed = returns(customs, "spt_masa_ppn_filed")
    assert len(owed) == 3 and all(o for _, o, _ in owed), owed
    assert sorted(p for p, _, f in owed if f) == [dates.late_period], (owed, dates.late_period)
    out.answers["late_customs"] = customs
    standard = await ask(api, late.npwp, late.name, "standard")
    assert standard["status"] == "valid", standard
    out.answers["late_standard"] = standard
    return out
