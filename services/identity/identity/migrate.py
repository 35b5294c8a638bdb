"""`python -m identity.migrate`: upgrade the identity database to the newest migration."""

from identity.settings import get_settings
from kit.migrations import upgrade

if __name__ == "__main__":
    upgrade("identity", get_settings().database.url)
