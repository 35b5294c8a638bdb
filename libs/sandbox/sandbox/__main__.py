"""`python -m sandbox`: SMTP on LONTAR_SANDBOX_SMTP_PORT (1025), HTTP on LONTAR_SANDBOX_HTTP_PORT (8025)."""

from sandbox.server import main

main()
