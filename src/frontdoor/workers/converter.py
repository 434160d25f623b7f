"""The data converter every Temporal client of the project uses: pydantic models in and out.

Worker, API, CLI, replayer and tests all import `DATA_CONVERTER` from here, so a codec added later
(encryption) reaches every one of them at once.
"""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

DATA_CONVERTER: DataConverter = pydantic_data_converter
