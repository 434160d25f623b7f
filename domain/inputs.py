"""The base of every model that people fill in: unknown fields refused, Unicode normalised
(NFKC: full-width digits are digits, ligatures letters) before anything is checked, whitespace
trimmed, no NUL or other control characters (PostgreSQL cannot store NUL in text, and nobody
types one), and no text made only of invisible characters (zero-width spaces, joiners); and the
bounded item of a list of short texts."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

ShortItem = Annotated[str, Field(min_length=1, max_length=200)]
"""One item of a list of names or short phrases (household members, attendees)."""
Item = Annotated[str, Field(min_length=1, max_length=500)]
"""One item of a list of indicators or factors."""

# What a reader sees: letters, marks, numbers, punctuation, symbols. Format characters (Cf:
# zero-width space and joiners, bidi controls), separators and controls are not.
_VISIBLE = ("L", "M", "N", "P", "S")

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


def _normalised(value: Any, depth: int = 0) -> Any:
    """`value` with every string in it NFKC-normalised."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value)
    if depth > 3:
        return value
    if isinstance(value, list | tuple):
        return [_normalised(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {k: _normalised(v, depth + 1) for k, v in value.items()}
    return value


def _has_invisible_text(value: Any, depth: int = 0) -> bool:
    """A non-blank string in `value` with no character anyone can see."""
    if isinstance(value, str):
        return bool(value.strip()) and not any(
            unicodedata.category(char)[0] in _VISIBLE for char in value
        )
    if depth > 3 or not isinstance(value, list | tuple):
        return False
    return any(_has_invisible_text(item, depth + 1) for item in value)


class InputModel(BaseModel):
    """A model a member of staff fills in."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        # Before validation, on the raw input, so the error names the field that holds it.
        if not isinstance(data, dict):
            return data
        data = {name: _normalised(value) for name, value in data.items()}
        for name, value in data.items():
            if _has_control_characters(value):
                raise PydanticCustomError(
                    "control_characters",
                    "{field} must not contain control characters",
                    {"field": name},
                )
        return data

    @field_validator("*")
    @classmethod
    def _visible(cls, value: Any) -> Any:
        # After each field's own checks (so whitespace is trimmed), naming the field.
        if _has_invisible_text(value):
            raise ValueError("must contain a visible character (not only invisible ones)")
        return value
