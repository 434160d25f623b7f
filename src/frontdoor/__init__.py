"""Front Door: a children's safeguarding front door in which every referral is a Temporal workflow.

The package is layered as ../shared/DESIGN.md describes: `domain` (pure models and policies),
`workflows` (deterministic process code), `activities` (the only code the workflows call that
touches the world), `store` (PostgreSQL), `workers`, `api` and `cli`.
"""
