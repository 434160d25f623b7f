"""Exported histories of real scenarios, replayed by tests/workers/test_replay.py."""
