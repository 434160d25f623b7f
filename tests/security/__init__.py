"""Tests of what the system protects: encrypted histories, logs, audit, identity."""
