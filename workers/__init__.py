"""The Temporal worker process (`worker`: the workflows and activities it hosts, wired to the
PostgreSQL case store, and its sandbox), and the engineers' Temporal tools that share its data
converter and sandbox: replaying histories (`replay`), diagnosing stuck cases (`diagnose`) and
resetting a case after a fix (`reset`).
"""
