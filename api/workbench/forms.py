"""From an HTML form to the JSON body an API route takes, and from the route's 422 details back
to errors beside the fields (GOV.UK's error summary and error messages).

A form's field names are the body's field paths: `rag`, `exploitation.risk`, `children.0.name`.
What each value becomes is read off the body's own model (its JSON schema), so a form follows
the API's contract and never restates it: a boolean from a yes/no radio, a list from checkboxes
or from a textarea's lines, an instant from a `datetime-local` input taken as London time, a
list of objects from numbered groups (a blank group is left out). A blank field is left out, so
the API itself says what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel

from domain.calendar import LONDON

Form = dict[str, list[str]]
_MISSING = object()
_MAX_FIELDS = 2_000


def read_form(body: bytes) -> Form:
    """The fields of an `application/x-www-form-urlencoded` body, blanks kept."""
    return parse_qs(
        body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=_MAX_FIELDS
    )


def first(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def body_of(model: type[BaseModel], form: Form, *, fixed: dict[str, Any] | None = None) -> Any:
    """The JSON body `model` takes, from `form`; `fixed` fields are set as given."""
    schema = model.model_json_schema()
    body = _object(schema, schema.get("$defs", {}), form, "")
    assert isinstance(body, dict)
    body.update(fixed or {})
    return body


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in prop:
            prop = {
                **defs[prop["$ref"].rsplit("/", 1)[-1]],
                **{k: v for k, v in prop.items() if k != "$ref"},
            }
            continue
        options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            rest = {k: v for k, v in prop.items() if k != "anyOf"}
            prop = {**options[0], **rest}
            continue
        if "allOf" in prop and len(prop["allOf"]) == 1:
            rest = {k: v for k, v in prop.items() if k != "allOf"}
            prop = {**prop["allOf"][0], **rest}
            continue
        return prop


def _object(schema: dict[str, Any], defs: dict[str, Any], form: Form, prefix: str) -> Any:
    out: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        value = _value(_resolve(prop, defs), defs, form, f"{prefix}{name}")
        if value is not _MISSING:
            out[name] = value
    return out


def _given(form: Form, key: str) -> bool:
    """Whether any non-blank field at or under `key` was sent."""
    return any(
        (name == key or name.startswith(f"{key}.")) and any(v.strip() for v in values)
        for name, values in form.items()
    )


def _value(prop: dict[str, Any], defs: dict[str, Any], form: Form, key: str) -> Any:
    if "const" in prop:
        return prop["const"]
    kind = prop.get("type")
    if kind == "object" or "properties" in prop:
        return _object(prop, defs, form, f"{key}.") if _given(form, key) else _MISSING
    if kind == "array":
        return _array(_resolve(prop.get("items", {}), defs), defs, form, key)
    raw = first(form, key)
    if not raw.strip():
        return _MISSING
    if kind == "boolean":
        return {"yes": True, "true": True, "no": False, "false": False}.get(raw.lower(), raw)
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d{1,9}", raw.strip()) else raw
    if prop.get("format") == "date-time":
        return _instant(raw)
    return raw


def _array(items: dict[str, Any], defs: dict[str, Any], form: Form, key: str) -> Any:
    if items.get("type") == "object" or "properties" in items:
        indices = sorted(
            {
                int(m.group(1))
                for name in form
                if (m := re.match(rf"{re.escape(key)}\.(\d+)\.", name))
            }
        )
        groups = [i for i in indices if _given(form, f"{key}.{i}")]
        if not groups:
            return _MISSING
        return [_object(items, defs, form, f"{key}.{i}.") for i in groups]
    if key not in form:
        return []
    # Checkboxes send one value each; a textarea sends lines.
    return [line.strip() for value in form[key] for line in value.splitlines() if line.strip()]


def _instant(raw: str) -> str:
    """A `datetime-local` value (no offset) as the London instant it names."""
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw  # the API names the field and the problem
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.isoformat()


def local_input(value: str | datetime | None) -> str:
    """An instant as a `datetime-local` input's value, in London time."""
    if value is None or value == "":
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is not None:
        instant = instant.astimezone(LONDON)
    return instant.strftime("%Y-%m-%dT%H:%M")


def field_id(name: str) -> str:
    """The id of a form field's input (error summaries link to it)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


@dataclass(frozen=True)
class FieldError:
    """An error to show beside a field (`name`, blank for the form as a whole) and in the
    summary at the top of the page."""

    name: str
    text: str

    @property
    def href(self) -> str:
        return f"#{field_id(self.name)}" if self.name else "#main-content"


def field_errors(
    details: list[dict[str, Any]], *, strip: tuple[str, ...] = (), fields: set[str] | None = None
) -> list[FieldError]:
    """The API's 422 details as errors on the form's fields. `strip` removes the body's leading
    parts (`result`, then the result's kind); a problem with the whole body is put on a field it
    names, when one of `fields` appears in it."""
    errors: list[FieldError] = []
    for detail in details:
        path = str(detail.get("field", "")).split(".")
        for part in strip:
            if path and path[0] == part:
                path = path[1:]
        name = ".".join(p for p in path if p != "body")
        text = re.sub(r"^(Value|Assertion) error, ", "", str(detail.get("problem", "is invalid")))
        if (not name or (fields is not None and name not in fields)) and fields:
            named = [
                f
                for f in sorted(fields, key=len, reverse=True)
                if re.search(rf"\b{re.escape(f.rsplit('.', 1)[-1])}\b", text)
            ]
            name = named[0] if named else (name if fields is None else "")
        errors.append(FieldError(name, _sentence(name, text)))
    return errors


def _sentence(name: str, text: str) -> str:
    label = name.rsplit(".", 1)[-1].replace("_", " ") if name else ""
    label = label[:1].upper() + label[1:]
    if label and text == "Field required":
        return f"{label} is required"
    return f"{label}: {text}" if label else text[:1].upper() + text[1:]
