"""The API fixtures, shared with the reliability tests."""

from tests.api.conftest import live_api

__all__ = ["live_api"]
