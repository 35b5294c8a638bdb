"""The SMTP sandbox's fast path for MAIL/RCPT paths reads every path as aiosmtpd's own parser does."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP

from sandbox.smtp import SandboxSMTP


@pytest.mark.parametrize("arg", [
    "<wp0123456789012345@example.co.id>", " <a.b+c@ex-ample.co.id>", "<a@b.c> SIZE=100",
    "<a@b.c>  BODY=8BITMIME SMTPUTF8", "<>", "a@b", "<a b@c>", '<"q s"@x.id>', "<a@[127.0.0.1]>", "<@a,@b:c@d>",
    "<" + "x" * 65 + "@example.co.id>", "", "<unterminated@x",
])
def test_the_fast_path_reads_paths_as_aiosmtpd_does(arg: str) -> None:
    handler = object()
    assert SandboxSMTP(handler)._getaddr(arg) == SMTP(handler)._getaddr(arg)
