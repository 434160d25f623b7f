"""What every process needs at start, whatever its role: the one settings class, logging, the
Temporal data converter with its payload codec, the connection to Temporal, and the search
attribute definitions. Imports nothing else of the project, so every layer may use it.
"""
