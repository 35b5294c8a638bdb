"""Administrative sanctions (UU KUP Art 7, 9, 14 and the interest tiers of §6.2) as pure rules."""
