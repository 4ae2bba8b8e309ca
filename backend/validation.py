"""Request-body validation from declarative field specs; the same specs feed the OpenAPI document.

`parse_json(raw)` is the one way client JSON is read (bounded in depth); `parse_object(payload,
spec)` returns a clean dict or raises BadRequest naming the field.
"""
from __future__ import annotations

import json
import re
from itertools import accumulate
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")

_JSON_TYPES = {"string": "string", "email": "string", "username": "string", "password": "string",
               "integer": "integer", "number": "number", "boolean": "boolean", "array": "array",
               "object": "object", "any": None}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


MAX_JSON_DEPTH = 64  # arrays/objects inside each other; far beyond any real body (views nest ~5)
_BRACKETS_ONLY = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKETS_AND_QUOTES = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _deepest(brackets: bytes) -> int:
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, without parsing it; within the limit the
    answer may be an upper bound. Cheap bounds first (brackets inside strings counted too): only a
    text whose bound is over the limit pays for the exact count (escapes, then strings dropped)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return raw.count(b"[") + raw.count(b"{")
    bound = _deepest(raw.translate(None, _BRACKETS_ONLY))
    if bound <= MAX_JSON_DEPTH:
        return bound
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return _deepest(b"".join(unescaped.translate(None, _BRACKETS_AND_QUOTES).split(b'"')[0::2]))


def parse_json(raw: bytes | str, what: str = "request body") -> Any:
    """Client JSON -> Python, or a 400 naming `what`: malformed, not UTF-8, or nested deeper than
    MAX_JSON_DEPTH (checked before parsing, so a hostile body cannot exhaust the stack)."""
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(f"{what} nests arrays/objects {depth} levels deep; the limit is {MAX_JSON_DEPTH}",
                         code="json_too_deep", limit=MAX_JSON_DEPTH)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadRequest(f"{what} is not valid JSON{where}", code="malformed_json") from None
    except RecursionError:  # unreachable within MAX_JSON_DEPTH; kept so no input can become a 500
        raise BadRequest(f"{what} nests too deeply", code="json_too_deep", limit=MAX_JSON_DEPTH) from None


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
    default: Any = None                 # query parameters: the value a handler sees when absent
    schema: dict | None = None          # kind "any"/"object": the documented JSON Schema of the shape

    def json_schema(self) -> dict:
        if self.schema is not None:
            schema = dict(self.schema)
            if self.nullable and "$ref" not in schema:
                schema["nullable"] = True
            if self.description:
                schema["description"] = self.description
            return schema
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
        lengths = ("minItems", "maxItems") if self.kind == "array" else ("minLength", "maxLength")
        for key, value in ((lengths[0], self.min_length), (lengths[1], self.max_length),
                           ("minimum", self.minimum), ("maximum", self.maximum)):
            if value is not None:
                schema[key] = value
        if self.kind == "username":
            schema["pattern"] = USERNAME_RE.pattern
        elif self.kind == "string" and self.min_length:
            schema["pattern"] = r"\S"  # surrounding spaces are stripped: blank is empty
        if self.nullable:
            schema["nullable"] = True
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
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


def parse_query(raw: dict[str, str], spec: dict[str, Field]) -> dict:
    """Declared query parameters, typed: every name in `spec` is present (its default when absent).
    A value of the wrong type or out of bounds is a 400 naming the parameter; undeclared names are
    ignored (cache-busters and the like)."""
    clean = {}
    for name, field in spec.items():
        text = raw.get(name)
        if text is None or (text == "" and field.kind != "string"):
            if field.required:
                raise BadRequest(f"query parameter '{name}' is required", field=name)
            clean[name] = field.default
            continue
        if "\x00" in text:
            raise BadRequest(f"query parameter '{name}' must not contain NUL characters", field=name)
        if field.kind == "integer":
            try:
                value: Any = int(text)
            except ValueError:
                raise BadRequest(f"query parameter '{name}' must be an integer", field=name) from None
            if (field.minimum is not None and value < field.minimum) or (
                    field.maximum is not None and value > field.maximum):
                raise BadRequest(f"query parameter '{name}' must be between {field.minimum:g} and "
                                 f"{field.maximum:g}", field=name)
        elif field.kind == "boolean":
            if text.strip().lower() not in _TRUE + _FALSE:
                raise BadRequest(f"query parameter '{name}' must be 1 or 0 (true or false)", field=name)
            value = text.strip().lower() in _TRUE
        elif field.kind == "object":
            value = parse_json(text, f"query parameter '{name}'")
            if not isinstance(value, dict):
                raise BadRequest(f"query parameter '{name}' must be a JSON object", field=name)
        else:
            value = text.strip()
            if field.required and not value:
                raise BadRequest(f"query parameter '{name}' is required", field=name)
            if field.choices is not None and value not in field.choices:
                raise BadRequest(f"query parameter '{name}' must be one of: {', '.join(field.choices)}",
                                 field=name)
            if field.max_length is not None and len(value) > field.max_length:
                raise BadRequest(f"query parameter '{name}' must have at most {field.max_length} "
                                 "characters", field=name)
        clean[name] = value
    return clean


def query_schema(name: str, field: Field) -> dict:
    """The OpenAPI parameter object of a declared query parameter."""
    schema = {"type": "string", "description": "a JSON object"} if field.kind == "object" else field.json_schema()
    param = {"name": name, "in": "query", "required": field.required, "schema": schema}
    if field.description:
        param["description"] = field.description
    return param
