import filing.assessments.models  # noqa: F401  (each slice's tables share filing's metadata)
import filing.kswp.models  # noqa: F401
import filing.obligations.models  # noqa: F401
import filing.reference.models  # noqa: F401
import filing.registry.models  # noqa: F401
import filing.reminders.models  # noqa: F401
import filing.returns.models  # noqa: F401
import filing.sanctions.models  # noqa: F401
import filing.skb.models  # noqa: F401
import filing.submissions.models  # noqa: F401
import filing.warnings.models  # noqa: F401
from filing.models import metadata
from kit.migrations import run_env

run_env(metadata)
