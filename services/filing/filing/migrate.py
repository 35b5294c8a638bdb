"""`python -m filing.migrate`: upgrade the filing database to the newest migration."""

from filing.settings import get_settings
from kit.migrations import upgrade

if __name__ == "__main__":
    upgrade("filing", get_settings().database.url)
