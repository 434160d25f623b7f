"""The performance framework's measures, read from the read model (`referral`, `task`,
`agency_check`); docs/performance-framework.md defines each one. Only reads: the case
activities own these tables.

Each measure groups by week in PostgreSQL (over the covering indexes and generated columns of
migrations 0005 and 0013) and adds the weeks up in Python for the period; percentiles of the
period come from a histogram of whole minutes. Callers own the connection; `report` (and anyone
timing a measure) wraps the reads in `scope.reading`, one read-only snapshot.

- `scope`: `Scope`, `reading`, the fixed query parameters every measure takes, shared SQL;
- `decisions`: MASH decisions within the RAG timescale, referral decisions within one working
  day; time to decision; the contact-recording gap;
- `outcomes`: what contacts and referrals became (conversion), referrers acknowledged and told,
  re-referrals;
- `handover`: assessments within 45 working days, initial conferences within 15;
- `agency_checks`: partner agencies' checks returned on time, and their return times;
- `visits`: children seen within timescale, visits where the child was not seen;
- `overdue`: open work past its deadline now;
- `report`: every measure by name (`MEASURES`) and the whole report.
"""
