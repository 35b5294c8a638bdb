"""KSWP (Konfirmasi Status Wajib Pajak, tax-rules.md §7.1): a requesting agency asks for a taxpayer's status; one
stored snapshot per request, from which both the API answer and the letter are rendered."""
