"""`python -m notification.migrate`: upgrade the notification database to the newest migration."""

from kit.migrations import upgrade
from notification.settings import get_settings

if __name__ == "__main__":
    upgrade("notification", get_settings().database.url)
