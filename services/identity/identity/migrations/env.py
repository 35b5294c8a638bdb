import identity.credentials.models  # noqa: F401  (signing_credential, signing_authority share identity's metadata)
from identity.models import metadata
from kit.migrations import run_env

run_env(metadata)
