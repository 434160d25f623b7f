"""The HTTP API (FastAPI): routes per resource under `routes/`, dependencies that hand the pool,
the Temporal client and the current user to routes, and the project's one error shape.

The API never changes process state itself: it starts workflows and sends updates and signals.
It never imports `activities`.
"""
