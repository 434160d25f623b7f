"""The staff workbench: server-rendered GOV.UK pages for practitioners, managers and partners,
in the API process and a client of the API's own routes (api/workbench/calls.py).

Every page is under /work and needs a signed-in session (api/workbench/session.py); every form
carries the session's CSRF token and, where it changes a case, an Idempotency-Key of its own.
"""
