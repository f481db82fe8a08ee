"""The props reference (docs/props-reference.md), generated from the schema.

One table per props class: each field's path, Python type, default and description, and the
constraint the schema checks (the allowed text of its type). ``python -m
cdktf_restate.schema.reference`` rewrites the file; a test fails when it drifts.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cdktf_restate.schema import props as props_module
from cdktf_restate.schema.model import STRICT
from cdktf_restate.schema.service_props import ServiceDeployerProps
from cdktf_restate.schema.types import CHECK_ERROR, Allowed, Bounds, Pattern

REFERENCE_PATH = Path(__file__).resolve().parents[2] / "docs" / "props-reference.md"
ROOTS = (props_module.RestateClusterProps, ServiceDeployerProps)


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("collections.abc.", "")
    for module in ("cdktf_restate.schema.props.", "cdktf_restate.schema.service_props."):
        text = text.replace(module, "")
    return text.replace("<class '", "").replace("'>", "").replace("NoneType", "None")


def _rule(annotation: Any) -> str:
    """The allowed text a schema type declares, if any."""
    found: list[str] = []
    stack = [annotation]
    while stack:
        current = stack.pop()
        # Literal anywhere: model.py wraps each field in Annotated once it first validates.
        if typing.get_origin(current) is typing.Literal:
            found.append(", ".join(map(str, typing.get_args(current))))
            continue
        for meta in getattr(current, "__metadata__", ()):
            if isinstance(meta, Pattern | Bounds):
                found.append(meta.allowed)
            elif isinstance(meta, Allowed):
                found.append(str(meta))
        stack.extend(typing.get_args(current))
    return next(iter(dict.fromkeys(found)), "") or _allowed_by_probe(annotation)


def _allowed_by_probe(annotation: Any) -> str:
    """The allowed text a check gives for a value no check takes (a NUL character)."""
    adapter = TypeAdapter(annotation, config=STRICT if _is_plain(annotation) else None)
    for probe in ("\x00", ["\x00"], {"\x00": "\x00"}):
        try:
            adapter.validate_python(probe)
        except ValidationError as error:
            for item in error.errors():
                if item["type"] == CHECK_ERROR:
                    return str(item["ctx"]["allowed"])
    return ""


def _is_plain(annotation: Any) -> bool:
    return not (
        dataclasses.is_dataclass(annotation)
        or any(dataclasses.is_dataclass(a) for a in typing.get_args(annotation))
    )


def _default(field: dataclasses.Field) -> str:
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        return "see below" if dataclasses.is_dataclass(value) else f"`{value!r}`"
    if field.default is dataclasses.MISSING or (
        field.default is None and "Required." in field.metadata.get("description", "")
    ):
        return "required"
    return f"`{field.default!r}`"


def _classes(root: type) -> list[type]:
    seen: list[type] = []
    todo = [root]
    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        for hint in typing.get_type_hints(cls).values():
            for candidate in (hint, *typing.get_args(hint)):
                if dataclasses.is_dataclass(candidate) and isinstance(candidate, type):
                    todo.append(candidate)
    return seen


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_text() -> str:
    lines = [
        "# Props reference",
        "",
        "Generated from the schema (`cdktf_restate/schema/`) by `python -m "
        "cdktf_restate.schema.reference`; do not edit. The guide is [construct.md](construct.md).",
    ]
    for root in ROOTS:
        for cls in _classes(root):
            hints = typing.get_type_hints(cls)
            extras = typing.get_type_hints(cls, include_extras=True)
            lines += ["", f"## `{cls.__name__}`", "", _cell((cls.__doc__ or "").strip()), ""]
            lines += ["| prop | type | default | checked | description |", "|---|---|---|---|---|"]
            for field in dataclasses.fields(cls):
                lines.append(
                    f"| `{field.name}` | `{_cell(_type_name(hints[field.name]))}` | "
                    f"{_cell(_default(field))} | {_cell(_rule(extras[field.name]))} | "
                    f"{_cell(field.metadata.get('description', ''))} |"
                )
    return "\n".join(lines) + "\n"


def main() -> int:
    REFERENCE_PATH.write_text(reference_text())
    print(f"wrote {REFERENCE_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
