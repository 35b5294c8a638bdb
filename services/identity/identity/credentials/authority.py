"""The service's own certificate authority, and how a holder's certificate is built.

Subject of a holder's certificate, always taken from the person row of the authenticated account:
- CN: the person's full name (X.509 caps CN at 64 characters; a longer name is cut there and carried whole in
  `name` (2.5.4.41) as well);
- serialNumber: `IDCID-<NIK>` for a NIK holder (the ETSI EN 319 412-1 natural-person semantics identifier), or
  `PAS<CCC>-<passport number>` for a passport holder (CCC: ISO 3166-1 alpha-3 as kept on the person);
- UID: the person's identity number (what they log in with); C=ID for NIK holders.

Both kinds are issued by this CA and differ in policy, validity and what relying parties may accept:
- Kode Otorisasi DJP (`kode_otorisasi`): an *uncertified* electronic signature, valid within DJP services only, two
  years. Policy OID `KO_POLICY`.
- Electronic certificate (`electronic_certificate`): stands in for a PSrE-issued *certified* signature (PSrE-style:
  ECDSA P-256, one year). Policy OID `CERTIFICATE_POLICY`. With a real PSrE, the issuing step below becomes a call to
  the PSrE's API; everything around it (face check, own-name subject, sealed key, signing) stays.
The policy OIDs are under the UUID arc 2.25 (ITU-T X.667): ours without registration, never mistaken for a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from identity.models import Person

KO_POLICY = ObjectIdentifier("2.25.294084635364350537577911395241448195916")
CERTIFICATE_POLICY = ObjectIdentifier("2.25.94703345677581884543988699784215979294")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
NAME = ObjectIdentifier("2.5.4.41")  # id-at-name
CN_MAX = 64

_POLICY_TEXT = {
    "kode_otorisasi": "Kode Otorisasi DJP: uncertified electronic signature, valid within DJP services only",
    "electronic_certificate": "Sertifikat Elektronik: certified electronic signature (PSrE stand-in)",
}
_POLICY_OID = {"kode_otorisasi": KO_POLICY, "electronic_certificate": CERTIFICATE_POLICY}


class NoIdentifier(Exception):
    """The person has neither a NIK nor a passport on record."""


@dataclass(frozen=True)
class Holder:
    """Who a certificate is for, as the person row says."""

    full_name: str
    subject_serial: str
    identity_number: str
    id_type: str  # nik | passport
    id_number: str
    id_country: str  # IDN for a NIK

    @classmethod
    def of(cls, person: Person) -> Holder:
        if person.nik:
            return cls(person.full_name, f"IDCID-{person.nik}", person.identity_number, "nik", person.nik, "IDN")
        if person.passport_number and person.passport_country:
            return cls(person.full_name, f"PAS{person.passport_country}-{person.passport_number}",
                       person.identity_number, "passport", person.passport_number, person.passport_country)
        raise NoIdentifier()

    def subject(self) -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, self.full_name[:CN_MAX])]
        if len(self.full_name) > CN_MAX:
            attributes.append(x509.NameAttribute(NAME, self.full_name))
        attributes += [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, self.subject_serial),
            x509.NameAttribute(NameOID.USER_ID, self.identity_number),
        ]
        if self.id_type == "nik":
            attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"))
        return x509.Name(attributes)


def subject_of(certificate: x509.Certificate) -> tuple[str, str, str]:
    """(full name, serialNumber, UID) as written in a certificate."""
    name = certificate.subject

    def one(oid: ObjectIdentifier) -> str | None:
        values = name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    return (one(NAME) or one(NameOID.COMMON_NAME) or "", one(NameOID.SERIAL_NUMBER) or "",
            one(NameOID.USER_ID) or "")


class CertificateAuthority:
    def __init__(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the CA key must be ECDSA P-256")
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
            raise ValueError("the CA key does not match the CA certificate")
        self.key = key
        self.certificate = certificate

    @classmethod
    def from_pem(cls, key_pem: bytes, certificate_pem: bytes) -> CertificateAuthority:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the CA key must be ECDSA P-256")
        return cls(key, x509.load_pem_x509_certificate(certificate_pem))

    @classmethod
    def generate(cls, *, common_name: str = "Lontar Signing CA (development)", years: int = 10) -> CertificateAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lontar"),
                          x509.NameAttribute(NameOID.COUNTRY_NAME, "ID")])
        now = datetime.now(UTC).replace(microsecond=0)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def key_pem(self) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()

    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, *, holder: Holder, public_key: ec.EllipticCurvePublicKey, kind: str, now: datetime,
              validity: timedelta) -> x509.Certificate:
        not_after = min(now + validity, self.certificate.not_valid_after_utc)
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        certificate = (
            x509.CertificateBuilder()
            .subject_name(holder.subject()).issuer_name(self.certificate.subject).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                _POLICY_OID[kind], [x509.UserNotice(None, _POLICY_TEXT[kind])])]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        # The rule this module exists for (seed items 1 and 15): what was written is the holder's own identity.
        if subject_of(certificate) != (holder.full_name, holder.subject_serial, holder.identity_number):
            raise RuntimeError("issued certificate subject does not match the holder")
        return certificate
