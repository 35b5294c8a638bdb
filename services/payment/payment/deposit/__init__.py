"""The deposit (deposit pajak, tax-rules §4.4): allocation to a liability, transfer, refund."""
