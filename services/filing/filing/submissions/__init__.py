"""Submission of a return: signed through identity, checked against UU KUP Art 3(7), paid first when it shows a
kurang bayar (Coretax's "Bayar dan Lapor"), and filed with a receipt (BPE) anyone can verify."""
