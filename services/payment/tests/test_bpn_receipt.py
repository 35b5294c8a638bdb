"""The BPN (Bukti Penerimaan Negara) of a confirmed payment as a PDF, for its taxpayer and for the bank that confirmed
it, and the public verification its QR code points to (NPWP masked), on the real database."""

from __future__ import annotations

from datetime import UTC, datetime

from services.payment.tests.conftest import World
from services.payment.tests.factories import bank_token, registered_taxpayer, taxpayer_token
from services.payment.tests.phtb_support import drawn_rects, pdf_text, qr_runs


async def test_the_bpn_of_a_payment_and_its_public_verification(world: World) -> None:
    npwp = await registered_taxpayer(world.sessions, name="PT Bukti Bayar")
    code = (await world.new_code(npwp, kap_kjs="411211-100", period="2026-10", amount="12345678"))["code"]
    paid_at = datetime(2026, 11, 30, 16, 5, 9, tzinfo=UTC)  # 23:05:09 WIB
    paid = await world.pay(code, "12345678", reference="BNI-REF-778899", paid_at=paid_at, bank="bank-bni")
    assert paid.status_code == 201, paid.text
    ntpn = paid.json()["ntpn"]

    for path, headers in ((f"/v1/payments/{ntpn}/bpn", taxpayer_token(npwp)),
                          (f"/v1/bank/payments/{ntpn}/bpn", bank_token("bank-bni")),
                          (f"/v1/payments/{ntpn.lower()}/bpn", taxpayer_token(npwp))):
        got = await world.http.get(path, headers=headers)
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf", got.text
        assert got.content.startswith(b"%PDF-") and got.headers["cache-control"] == "private"
    text = pdf_text(got.content)
    url = f"{world.settings.public_url}/v1/public/payments/{ntpn}/verification"
    for element in ("BUKTI PENERIMAAN NEGARA", f"NTPN {ntpn}", code, npwp, "PT Bukti Bayar", "411211 - ",
                    "100 - ", "2026-10", "Rp 12.345.678", "30 November 2026 23:05:09 WIB", "bank-bni",
                    "BNI-REF-778899", url):
        assert element in text, (element, text)
    assert drawn_rects(got.content) == qr_runs(url)  # the QR code encodes exactly the verification URL

    public = await world.http.get(f"/v1/public/payments/{ntpn}/verification")  # no token
    assert public.status_code == 200, public.text
    v = public.json()
    assert v == {"ntpn": ntpn, "valid": True, "npwp_masked": npwp[:2] + "*" * 11 + npwp[-3:],
                 "kap_kjs": "411211-100", "kap_name": v["kap_name"], "kjs_name": v["kjs_name"], "period": "2026-10",
                 "amount": "12345678", "paid_at": v["paid_at"], "bank": "bank-bni"}
    assert datetime.fromisoformat(v["paid_at"]) == paid_at
    assert npwp not in public.text and "PT Bukti Bayar" not in public.text and "BNI-REF" not in public.text

    other = await registered_taxpayer(world.sessions)
    for path, headers, status, error in [
        (f"/v1/payments/{ntpn}/bpn", taxpayer_token(other), 404, "payment.not_found"),
        (f"/v1/payments/{ntpn}/bpn", taxpayer_token(npwp, scopes=("payment:write",)), 403, "auth.missing_scope"),
        (f"/v1/payments/{ntpn}/bpn", {}, 401, "unauthorized"),
        (f"/v1/bank/payments/{ntpn}/bpn", bank_token("bank-bri"), 404, "payment.not_found"),
        (f"/v1/bank/payments/{ntpn}/bpn", taxpayer_token(npwp), 403, "auth.bank_client_required"),
        ("/v1/payments/ABC/bpn", taxpayer_token(npwp), 422, "confirmation.ntpn_invalid"),
        ("/v1/public/payments/0000000000000000/verification", {}, 404, "payment.not_found"),
        ("/v1/public/payments/NOT-AN-NTPN/verification", {}, 422, "confirmation.ntpn_invalid"),
    ]:
        refused = await world.http.get(path, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (status, error), (path, refused.text)

