from kit.migrations import run_env
from payment.models import metadata

run_env(metadata)
