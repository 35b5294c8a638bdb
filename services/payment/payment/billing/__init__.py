"""Billing codes (kode billing): their format, validity and the KAP-KJS rules a code must satisfy."""
