"""Checking a JSON value against the published schema of ``cme-register/1``.

The schema (``resources/schemas/cme-register-1.schema.json``, JSON Schema 2020-12) is
what another authority's software reads; this module holds our files to the same
text, so the schema cannot drift from what the program writes and accepts. It
understands the keywords that schema uses, and refuses a schema that uses any
other, so that a keyword added to the schema is never silently ignored here:
``$schema``, ``$id``, ``title``, ``description``, ``$defs``, ``$ref`` (within the
document), ``type``, ``const``, ``enum``, ``properties``, ``required``,
``additionalProperties`` (``false``), ``items``, ``maxItems``, ``minLength``,
``maxLength``, ``pattern``, ``format`` (``date``), ``minimum``, ``maximum``.

A general validator (``jsonschema``) would be one more dependency for one file
format; the subset is small enough to hold here.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from typing import Any, Final

from cme_desktop import resource_files

__all__ = ["SCHEMA_FILE", "problems", "published_schema"]

SCHEMA_FILE: Final = "schemas/cme-register-1.schema.json"
#: Problems reported at most: a hostile file could otherwise produce millions.
MAX_PROBLEMS: Final = 20
_ANNOTATIONS: Final = frozenset({"$schema", "$id", "title", "description", "$defs", "$comment"})
_KEYWORDS: Final = _ANNOTATIONS | frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
    }
)
_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "integer": (int,),
    "number": (int, float),
}


@cache
def published_schema() -> dict[str, Any]:
    """The schema as shipped (read once)."""
    schema: dict[str, Any] = json.loads(resource_files.read_text(SCHEMA_FILE))
    return schema


def problems(value: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """What is wrong with ``value`` against ``schema`` (the published one by default).

    Each problem names where it is (``parents[1].name``) in words; ``[]`` when the
    value is valid. At most ``MAX_PROBLEMS`` are given.
    """
    root = published_schema() if schema is None else schema
    found: list[str] = []
    _check(value, root, root, "", found)
    return found[:MAX_PROBLEMS]


def _where(path: str) -> str:
    return path or "the record"


def _check(
    value: Any, schema: dict[str, Any], root: dict[str, Any], path: str, out: list[str]
) -> None:
    if len(out) >= MAX_PROBLEMS:
        return
    unknown = set(schema) - _KEYWORDS
    if unknown:
        raise ValueError(f"schema keyword(s) not understood: {sorted(unknown)}")
    if "$ref" in schema:
        _check(value, _resolve(schema["$ref"], root), root, path, out)
    if "type" in schema and not _is_type(value, schema["type"]):
        wanted = schema["type"] if isinstance(schema["type"], str) else " or ".join(schema["type"])
        out.append(f"{_where(path)}: should be {wanted}")
        return
    if "const" in schema and value != schema["const"]:
        out.append(f"{_where(path)}: should be {json.dumps(schema['const'])}")
    if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
        shown = ", ".join(json.dumps(v) for v in schema["enum"][:12])
        out.append(f"{_where(path)}: should be one of {shown}")
    if isinstance(value, dict):
        _check_object(value, schema, root, path, out)
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{_where(path)}: more than {schema['maxItems']} entries")
            return
        if "items" in schema:
            for index, item in enumerate(value):
                _check(item, schema["items"], root, f"{path}[{index}]", out)
    elif isinstance(value, str):
        _check_string(value, schema, path, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{_where(path)}: less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{_where(path)}: more than {schema['maximum']}")


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: str, out: list[str]
) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in value:
            out.append(f"{_where(path)}: the field {key!r} is missing")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        inner = f"{path}.{key}" if path else key
        if key in properties:
            _check(item, properties[key], root, inner, out)
        elif extra is False:
            out.append(f"{_where(path)}: the field {key[:60]!r} is not one of the schema's")
        elif isinstance(extra, dict):
            _check(item, extra, root, inner, out)


def _check_string(value: str, schema: dict[str, Any], path: str, out: list[str]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.append(f"{_where(path)}: should not be empty")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.append(f"{_where(path)}: longer than {schema['maxLength']} characters")
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        out.append(f"{_where(path)}: not in the expected form")
    if schema.get("format") == "date" and not _is_date(value):
        out.append(f"{_where(path)}: not a date written YYYY-MM-DD")


def _is_date(text: str) -> bool:
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is None:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_type(value: Any, wanted: str | list[str]) -> bool:
    names = [wanted] if isinstance(wanted, str) else wanted
    for name in names:
        if isinstance(value, bool) and name not in {"boolean"}:
            continue
        if name == "integer" and isinstance(value, float):
            if value.is_integer():
                return True
            continue
        if isinstance(value, _TYPES[name]):
            return True
    return False


def _same(value: Any, allowed: Any) -> bool:
    # JSON has no separate booleans among numbers: ``true`` is not ``1``.
    return type(value) is type(allowed) and value == allowed


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only references within the schema are understood: {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    if not isinstance(node, dict):
        raise ValueError(f"the reference {ref} is not a schema")
    return node
