"""`python -m invoice.migrate`: upgrade the invoice database to the newest migration."""

from invoice.settings import get_settings
from kit.migrations import upgrade

if __name__ == "__main__":
    upgrade("invoice", get_settings().database.url)
