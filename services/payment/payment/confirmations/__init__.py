"""Bank confirmations of a billing code's payment, answered with an NTPN."""
