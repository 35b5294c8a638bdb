"""`python -m notification.migrate`: upgrade the notification database to the newest migration."""

from notification.settings import get_settings
from kit.migrations import upgrade

if __name__ == "__main__":
    upgrade("notification", get_settings().database.url)
