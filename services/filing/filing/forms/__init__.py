"""Data-driven returns: each form other than the SPT Masa PPN is a JSON schema in `data/` (its fields, the
attachments it requires, how its balance and payments are computed), validated and computed generically."""
