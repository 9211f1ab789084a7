"""Pages of situations, persons and support cases. Situations: the quick report, a unit's
inbox, the list (``situations``), the detail and its handling steps (``situation_detail``).
Cases and persons: the case list and detail, the new person with its
duplicate check, consent, opening a case, services, visits, follow-ups, referrals, closure, the
break-glass review, counts for the levels above, and the person's rights (identity, correction,
export, anonymisation).

One module per page or group of pages. Who sees what is decided in ``cases.policy`` (the
identity's level by ``policy.identity_level`` for every page), never in a template; the reads
are ``cases.selectors``'s:
- everyone with ``case.view`` over the case sees its code, kind, status, unit, workers,
  consents, services, visit dates and follow-ups; the person appears by code only;
- narratives (needs, plan, visit notes, referral answers, the closing reason) are shown to
  those who manage the case: its workers and holders of ``case.manage`` over its unit;
- the identity is shown only after a POST ("Show identity"), never on a GET, through
  ``actions.view_identity`` which records every view: directly for an assigned worker, with a
  stated reason (break glass, flagged to the supervising unit) for other holders of
  ``identity.view``; for anyone else the button is absent and the URL answers 404;
- levels above without ``case.view`` see counts only.

Pages that show or take an identity, and all case pages, are sent ``Cache-Control: no-store``
so that a shared office computer keeps nothing of them.
"""
