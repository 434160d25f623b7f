"""The worker entry point, the data converter shared by every Temporal client (worker, API,
CLI, replayer), and the replayer. Import the converter from `core.converter` only.
"""
