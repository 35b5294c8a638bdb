"""Written warnings (Surat Teguran) an officer sent a taxpayer about a return: what UU KUP Art 3(7)(c) reads."""
