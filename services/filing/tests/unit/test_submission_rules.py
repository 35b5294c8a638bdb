"""What a submission signs and what its receipt says (pure): canonical content, payments awaited, receipt numbers,
the masked NPWP, the signature check and who the signer is."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

from filing.returns.schemas import InputFiguresRead, SptMasaPpnRead
from filing.returns.spt_masa_ppn import Outcome
from filing.submissions.rules import (
    PaymentPart,
    amount_text,
    digest_of,
    mask_npwp,
    payment_parts,
    receipt_number,
    signature_valid,
    signed_content,
)
from kit.auth import Principal
from kit.clock import JAKARTA
from kit.signing import signer_account, subject_name

Z = Decimal(0)


def view(**changes: object) -> SptMasaPpnRead:
    fields: dict[str, object] = dict(
        npwp="0012345678901234", period="2026-03", owed=True, open_return=None, output=[],
        input=InputFiguresRead(credited_invoices=0, credited_ppn=Z, returns=0, returned_ppn=Z, other_input_ppn=Z,
                               creditable_ppn=Z),
        output_ppn_owed=Decimal(1100), output_ppn_collected_by_collectors=Z, output_ppn_not_collected=Z,
        output_ppn_exempt=Z, ppnbm_owed=Z, compensation=Z, balance=Decimal(1100), outcome=Outcome.KURANG_BAYAR,
        amount_due=Decimal(1100), overpayment=Z)
    return SptMasaPpnRead.model_validate({**fields, **changes})


SPT_ID = uuid.UUID("8b6f5e0e-3f5e-4c55-9a43-6f2f1b7b2f10")
AT = dt.datetime(2026, 4, 15, 9, 30, tzinfo=JAKARTA)


def test_the_signed_content_is_canonical_and_names_the_version_the_signer_and_the_time() -> None:
    content = signed_content(view(), spt_id=SPT_ID, version=0, submitted_at=AT, signer_account_id="acc-1")
    assert content == signed_content(view(owed=None), spt_id=SPT_ID, version=0, submitted_at=AT,
                                     signer_account_id="acc-1")  # what is not a figure is not signed
    text = content.decode()
    assert text.startswith('{"amount_due":"1100","balance":"1100"') and " " not in text
    for part in ('"spt_id":"8b6f5e0e-3f5e-4c55-9a43-6f2f1b7b2f10"', '"spt_version":0', '"version_label":"Normal"',
                 '"submitted_at":"2026-04-15T09:30:00+07:00"', '"signer_account_id":"acc-1"', '"form":"spt_masa_ppn"'):
        assert part in text
    changed = signed_content(view(balance=Decimal(1101)), spt_id=SPT_ID, version=0, submitted_at=AT,
                             signer_account_id="acc-1")
    assert digest_of(changed) != digest_of(content) and len(digest_of(content)) == 32


@pytest.mark.parametrize(("amount_due", "ppnbm", "parts"), [
    (Z, Z, []),  # nihil or lebih bayar without PPnBM: files at once
    (Decimal(1100), Z, [PaymentPart("411211-100", Decimal(1100))]),
    (Z, Decimal(500), [PaymentPart("411221-100", Decimal(500))]),  # lebih bayar PPN, PPnBM still owed
    (Decimal(1100), Decimal(500), [PaymentPart("411211-100", Decimal(1100)), PaymentPart("411221-100", Decimal(500))]),
    (Decimal("1100.00"), Decimal(-3), [PaymentPart("411211-100", Decimal(1100))]),
])
def test_payments_a_return_waits_for(amount_due: Decimal, ppnbm: Decimal, parts: list[PaymentPart]) -> None:
    assert payment_parts(amount_due, ppnbm) == parts


def test_receipt_numbers_carry_the_day_and_60_random_bits() -> None:
    assert receipt_number(dt.date(2026, 4, 15), "7K3M9Q2XW4PA") == "BPE-20260415-7K3M9Q2XW4PA"
    numbers = {receipt_number(dt.date(2026, 4, 15)) for _ in range(200)}
    assert len(numbers) == 200 and all(len(n) == 25 and n[:13] == "BPE-20260415-" for n in numbers)
    assert all(set(n[13:]) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for n in numbers)


@pytest.mark.parametrize(("value", "text"), [(Decimal("1000000.00"), "1000000"), (Decimal(0), "0"),
                                             (Decimal("15"), "15")])
def test_amounts_are_whole_rupiah_in_events(value: Decimal, text: str) -> None:
    assert amount_text(value) == text


def test_the_public_verification_masks_all_but_the_last_four_digits() -> None:
    assert mask_npwp("0012345678901234") == "************1234"


def _certificate(name: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_a_signature_holds_only_for_the_content_and_certificate_that_made_it() -> None:
    key, pem = _certificate("Ani Penandatangan")
    content = signed_content(view(), spt_id=SPT_ID, version=0, submitted_at=AT, signer_account_id=None).decode()
    digest = digest_of(content.encode())
    signature = base64.b64encode(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))).decode()
    assert signature_valid(content, digest.hex(), signature, pem)[0] is True
    assert signature_valid(content.replace("1100", "1000"), digest.hex(), signature, pem) == (
        False, "the stored content does not match the digest on the receipt")
    assert signature_valid(content, digest.hex(), signature, _certificate("Budi")[1]) == (
        False, "the signature does not verify with the signer's certificate")
    assert signature_valid(content, digest.hex(), signature, None)[0] is False
    assert subject_name(pem) == "Ani Penandatangan"


@pytest.mark.parametrize(("principal", "signer"), [
    (Principal("0012345678901234", frozenset(), actor={"sub": "acc-7", "name": "Ani"}), "acc-7"),
    (Principal("0012345678901234", frozenset(), actor={"sub": "pjap-1", "client_kind": "pjap"}), None),
    (Principal("8b6f5e0e-3f5e-4c55-9a43-6f2f1b7b2f10", frozenset()), "8b6f5e0e-3f5e-4c55-9a43-6f2f1b7b2f10"),
    (Principal("client-1", frozenset(), claims={"client_kind": "pjap"}), None),
    (Principal("not-a-person", frozenset()), None),
])
def test_the_signer_is_the_person_at_the_keyboard(principal: Principal, signer: str | None) -> None:
    assert signer_account(principal) == signer
