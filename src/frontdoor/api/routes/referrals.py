"""Routes for referrals: intake, the live case, the managers' list, new information."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/referrals", tags=["referrals"])
