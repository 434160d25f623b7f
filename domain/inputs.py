"""The base of every model that people fill in: unknown fields refused, whitespace trimmed, and
no NUL or other control characters (PostgreSQL cannot store NUL in text, and nobody types one)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

# Tab, newline and carriage return are ordinary in free text; every other control character is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control_characters(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if depth > 3:
        return False
    if isinstance(value, list | tuple):
        return any(_has_control_characters(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(
            _has_control_characters(k, depth + 1) or _has_control_characters(v, depth + 1)
            for k, v in value.items()
        )
    return False


class InputModel(BaseModel):
    """A model a member of staff fills in."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        # Before validation, on the raw input, so the error names the field that holds it.
        if isinstance(data, dict):
            for name, value in data.items():
                if _has_control_characters(value):
                    raise PydanticCustomError(
                        "control_characters",
                        "{field} must not contain control characters",
                        {"field": name},
                    )
        return data
