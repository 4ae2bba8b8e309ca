"""Request-body validation from declarative field specs; the same specs feed the OpenAPI document.

`parse_object(payload, spec)` returns a clean dict or raises BadRequest naming the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")

_JSON_TYPES = {"string": "string", "email": "string", "username": "string", "password": "string",
               "integer": "integer", "number": "number", "boolean": "boolean", "array": "array",
               "object": "object", "any": None}


@dataclass(frozen=True)
class Field:
    kind: str = "string"
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple | None = None        # allowed values (for arrays: allowed items)
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    description: str = ""

    def json_schema(self) -> dict:
        schema: dict[str, Any] = {"type": _JSON_TYPES[self.kind]} if _JSON_TYPES[self.kind] else {}
        if self.kind == "email":
            schema["format"] = "email"
        if self.kind == "password":
            schema["format"] = "password"
        if self.kind == "array":
            schema["items"] = {"type": "string"}
            if self.choices:
                schema["items"]["enum"] = list(self.choices)
        elif self.choices:
            schema["enum"] = list(self.choices)
        for key, value in (("minLength", self.min_length), ("maxLength", self.max_length),
                           ("minimum", self.minimum), ("maximum", self.maximum)):
            if value is not None:
                schema[key] = value
        if self.nullable:
            schema["nullable"] = True
        if self.description:
            schema["description"] = self.description
        return schema


def object_schema(spec: dict[str, Field]) -> dict:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: f.json_schema() for name, f in spec.items()},
            "required": [name for name, f in spec.items() if f.required]}


def _check(name: str, field: Field, value: Any) -> Any:
    kind = field.kind
    if kind == "any":  # shape checked by the domain module that owns it
        return value
    if value is None:
        if field.nullable:
            return None
        raise BadRequest(f"field '{name}' must not be null", field=name)
    if kind in ("string", "email", "username", "password"):
        if not isinstance(value, str):
            raise BadRequest(f"field '{name}' must be a string", field=name)
        if kind != "password":
            value = value.strip()
        if "\x00" in value:
            raise BadRequest(f"field '{name}' must not contain NUL characters", field=name)
        if kind == "email":
            value = value.lower()
            if len(value) > 254 or not EMAIL_RE.match(value):
                raise BadRequest(f"field '{name}' must be a valid email address", field=name)
        if kind == "username" and not USERNAME_RE.match(value):
            raise BadRequest(
                f"field '{name}' must be 2-64 characters of letters, digits, '.', '_' or '-', "
                "starting with a letter or digit", field=name)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"field '{name}' must be an integer", field=name)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadRequest(f"field '{name}' must be a number", field=name)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise BadRequest(f"field '{name}' must be true or false", field=name)
    elif kind == "array":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"field '{name}' must be a list of strings", field=name)
        if field.choices:
            bad = [v for v in value if v not in field.choices]
            if bad:
                raise BadRequest(f"field '{name}' has unknown value(s) {', '.join(map(repr, bad))}; "
                                 f"allowed: {', '.join(field.choices)}", field=name)
        value = list(dict.fromkeys(value))
    elif kind == "object":
        if not isinstance(value, dict):
            raise BadRequest(f"field '{name}' must be an object", field=name)
    if kind != "array" and field.choices is not None and value not in field.choices:
        raise BadRequest(f"field '{name}' must be one of: {', '.join(map(str, field.choices))}",
                         field=name)
    if isinstance(value, (str, list)):
        if field.min_length is not None and len(value) < field.min_length:
            unit = "characters" if isinstance(value, str) else "items"
            raise BadRequest(f"field '{name}' must have at least {field.min_length} {unit}", field=name)
        if field.max_length is not None and len(value) > field.max_length:
            unit = "characters" if isinstance(value, str) else "items"
            raise BadRequest(f"field '{name}' must have at most {field.max_length} {unit}", field=name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if field.minimum is not None and value < field.minimum:
            raise BadRequest(f"field '{name}' must be >= {field.minimum}", field=name)
        if field.maximum is not None and value > field.maximum:
            raise BadRequest(f"field '{name}' must be <= {field.maximum}", field=name)
    return value


def parse_object(payload: Any, spec: dict[str, Field]) -> dict:
    """Validate a JSON object against `spec`: unknown keys, missing required keys and bad values
    are 400s naming the field. Absent optional keys are left out of the result."""
    if not isinstance(payload, dict):
        raise BadRequest("request body must be a JSON object")
    unknown = sorted(set(payload) - set(spec))
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}; expected: {', '.join(spec)}",
                         fields=unknown)
    clean = {}
    for name, field in spec.items():
        if name not in payload:
            if field.required:
                raise BadRequest(f"field '{name}' is required", field=name)
            continue
        clean[name] = _check(name, field, payload[name])
    return clean
