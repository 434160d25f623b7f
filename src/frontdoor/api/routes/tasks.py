"""Routes for the task inbox: list, view, claim, release, assign and complete tasks."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/tasks", tags=["tasks"])
