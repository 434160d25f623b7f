"""Who may act on which task: the rules behind `VisibleTask`, `ActionableTask` and
`ReleasableTask` (the routes' 403s are exercised over HTTP in test_tasks.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from api.auth import StaffRole, User
from api.deps import may_release, may_view, may_work
from domain.tasks import Agency, TaskKind, TaskStatus, Team, agency_team
from store.task import InboxTask

PRACTITIONER = User(user_id="pat", name="Pat", roles=[StaffRole.practitioner])
MANAGER = User(user_id="mo", name="Mo", roles=[StaffRole.manager])
POLICE = User(user_id="duty", name="Duty", roles=[StaffRole.agency], agency=Agency.police)


def task(team: str, assignee: str | None = None) -> InboxTask:
    now = datetime.now(UTC)
    return InboxTask(
        task_id=uuid.uuid4(),
        referral_id=uuid.uuid4(),
        workflow_id="referral-x",
        kind=TaskKind.agency_check,
        team=team,
        agency=None,
        status=TaskStatus.open,
        assignee=assignee,
        due_at=now,
        escalation_level=0,
        opened_at=now,
        closed_at=None,
        overdue=False,
    )


def test_a_partner_may_see_and_work_only_their_agencys_tasks() -> None:
    police_check = task(agency_team(Agency.police))
    assert may_view(POLICE, police_check) is None and may_work(POLICE, police_check) is None
    screening = task(Team.practitioners.value)
    refusal = may_view(POLICE, screening)
    assert refusal is not None and refusal.status_code == 403
    assert refusal.message == f"task {screening.task_id} belongs to another team ({screening.team})"


def test_managers_see_every_task_but_work_only_their_teams() -> None:
    police_check = task(agency_team(Agency.police))
    assert may_view(MANAGER, police_check) is None
    assert may_work(MANAGER, police_check) is not None


def test_a_task_is_released_by_its_holder_or_a_manager() -> None:
    held = task(agency_team(Agency.police), assignee="pat")  # given to pat by a manager
    assert may_release(PRACTITIONER, held) is None
    assert may_release(MANAGER, held) is None
    refusal = may_release(POLICE, held)
    assert refusal is not None and refusal.status_code == 403
    assert refusal.message.endswith("is held by pat; only they or a manager can release it")
    assert refusal.details == [{"assignee": "pat"}]
    unheld = task(agency_team(Agency.health))
    assert may_release(POLICE, unheld) is not None
