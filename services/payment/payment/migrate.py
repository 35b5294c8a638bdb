"""`python -m payment.migrate`: upgrade the payment database to the newest migration."""

from kit.migrations import upgrade
from payment.settings import get_settings

if __name__ == "__main__":
    upgrade("payment", get_settings().database.url)
