"""The performance framework's measures, read from the read model (`referral`, `task`,
`agency_check`); docs/performance-framework.md defines each one. Only reads: the case
activities own these tables.

Each measure groups by week in PostgreSQL (over the covering indexes and generated columns of
migration 0005) and adds the weeks up in Python for the period; percentiles of the period come
from a histogram of whole minutes. Callers own the connection; `report` (and anyone timing a
measure) wraps the reads in `scope.reading`, one read-only snapshot.

- `scope`: `Scope`, `reading`, the fixed query parameters every measure takes, shared SQL;
- `decisions`: decided within timescale and within one working day; time to decision;
- `outcomes`: decision outcomes (conversion), referrers told, re-referrals;
- `agency_checks`: partner agencies' checks returned on time, and their return times;
- `visits`: children seen within timescale, visits where the child was not seen;
- `overdue`: open work past its deadline now;
- `report`: every measure by name (`MEASURES`) and the whole report.
"""
