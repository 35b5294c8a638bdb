"""Which returns and payments a taxpayer owes, when each is due, and where each stands."""
