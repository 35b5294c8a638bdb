"""Pembetulan (UU KUP Art 8): versions of a return, when a correction is refused, and the interest on a raise."""
