"""Tax debts (STP, SKP, SPT kurang bayar, legacy imports) and the interest on them."""
