import payment.reference.models  # noqa: F401  (the reference slice's tables, on the same metadata)
from kit.migrations import run_env
from payment.models import metadata

run_env(metadata)
