"""The `frontdoor` command: the embedded dev stack, the worker, the API, and engineers' tools.

Only this package prints to the terminal; everything else logs through structlog.
"""
