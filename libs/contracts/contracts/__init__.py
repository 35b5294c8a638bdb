"""Lontar event contracts.

A consumer depends on this package, never on the producer's code. Importing it registers every contract.
"""

from contracts import filing, identity, invoice, notification, payment  # noqa: F401  (registers their contracts)
from contracts.envelope import Envelope
from contracts.registry import Contract, InvalidEvent, UnknownEvent, parse, payload_of, register, registered

__all__ = ["Contract", "Envelope", "InvalidEvent", "UnknownEvent", "parse", "payload_of", "register", "registered"]
