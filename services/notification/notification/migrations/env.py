from kit.migrations import run_env
from notification.models import metadata

run_env(metadata)
