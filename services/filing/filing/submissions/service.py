"""Use cases of the submissions slice, as the routes and the consumer call them: signing and submitting a version
of a return of any form (the SPT Masa PPN, prefilled from e-Faktur, and the data-driven forms of `forms/`), the
Normal or a pembetulan (UU KUP Art 8), one at a time or in a batch; completing it on payment; reading it and its
receipt.

Submitting is three steps, so that identity is never called inside an open transaction:
1. `prepare`: a short read: the return is owed, still a draft, its due dates are known, and it passes `checks`
   (the form's required fields and attachments, Art 3(7)(b); an overpayment more than 3 years late after a written
   warning, Art 3(7)(c); no audit started and no assessment issued, Art 3(7)(d); Art 8(1) and (1a) for a
   pembetulan); the content to sign is built from it;
2. `signing`: identity signs the content's digest with the signer's credential, opened by the passphrase or a
   signing session (no transaction open; a refusal means the return is unsigned, Art 3(7)(a), and nothing is
   written);
3. `record`: one transaction checks the return again (the same draft with the same figures, else `return.changed`),
   keeps the signature and files it or makes it wait for payment (`outcomes`).
The single route goes through `desk` (group commit: concurrent single submissions share the three steps), the batch
route through `batch`; both are set-based. payment's events complete or expire a waiting return
(`payment_completion`); `reading` and `receipts` answer the reads.
"""

from __future__ import annotations

from filing.submissions.batch import submit_batch
from filing.submissions.desk import SubmissionDesk
from filing.submissions.figures import PPN_FORM, Form, form_of
from filing.submissions.payment_completion import record_billing_expired, record_instalments_granted, record_payment
from filing.submissions.reading import get_submission
from filing.submissions.receipts import get_receipt, receipt_pdf, verify_receipt
from filing.submissions.single import submit, submit_spt_masa_ppn

__all__ = ["PPN_FORM", "Form", "SubmissionDesk", "form_of", "get_receipt", "get_submission", "receipt_pdf",
           "record_billing_expired", "record_instalments_granted", "record_payment", "submit", "submit_batch",
           "submit_spt_masa_ppn", "verify_receipt"]
