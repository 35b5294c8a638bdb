"""PJAP (licensed tax-application providers) and other machine clients: the register (officers, or the CLI
`python -m identity.clients`) and the delegations a taxpayer gives a PJAP to act for it with some scopes. The
client-credentials grant itself is in `identity.sessions`."""
