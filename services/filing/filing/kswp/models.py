"""Tables of the KSWP slice: one snapshot per request. `snapshot` is the canonical JSON every rendering (API answer,
letter PDF, public verification) reads; `digest` is its SHA-256, so a changed snapshot is seen; `signature` is filing's
over that digest (`kswp.signing`, key `signing_key_id`), so a snapshot changed with its digest is seen too."""

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Sequence, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

kswp_number_seq = Sequence("kswp_number_seq", metadata=metadata)

kswp_snapshot = Table(
    "kswp_snapshot", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("letter_number", Text, nullable=False, unique=True),
    Column("verification_code", Text, nullable=False, unique=True),
    Column("npwp", Text, nullable=False),
    Column("agency_client_id", Text, nullable=False),  # the requesting agency's machine client
    Column("variant", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("snapshot", Text, nullable=False),  # canonical JSON: inputs, checks, result
    Column("digest", Text, nullable=False),  # SHA-256 (hex) of `snapshot`
    Column("signature", Text),  # ECDSA P-256 over `digest`, DER, base64; null for letters made before 0009
    Column("signing_key_id", Text),  # RFC 7638 thumbprint of the key that signed
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("variant IN ('standard', 'customs')", name="variant"),
    CheckConstraint("status IN ('valid', 'invalid')", name="status"),
    Index("kswp_snapshot_npwp_idx", "npwp"),
)
