"""The double-entry ledger: accounts, transfers and the rules every posting must keep (see README.md)."""
