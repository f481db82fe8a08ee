"""Shape checks of the props before their rules: a wrong type names the property, instead of
failing later with an AttributeError, and a string is never read as a list of characters."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_restate.schema import props as props_module
from cdktf_restate.schema.errors import fail
from cdktf_restate.schema.tokens import is_token


def check_keyword_properties(fields: Mapping[str, Any]) -> None:
    """Unknown keyword properties of the construct, with the closest known name."""
    known = [f.name for f in dataclasses.fields(props_module.RestateClusterProps)]
    for name in fields:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "see docs/construct.md"
            raise fail(name, "not a property of RestateEcsFargateCluster", hint)


def check_prop_types(props: object, path: str = "") -> None:
    """Every field of a props dataclass, recursively, against its annotation's shape."""
    for field in dataclasses.fields(props):  # type: ignore[arg-type]
        value = getattr(props, field.name)
        field_path = f"{path}.{field.name}" if path else field.name
        _check(field_path, value, _hints(type(props))[field.name])


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(props_module))


def _check(path: str, value: Any, annotation: Any) -> None:
    options = _union_members(annotation)
    if value is None or all(option in (int, float) for option in options):
        # None where allowed, and numbers (number tokens included), have rules of their own;
        # answering here spares is_token() a round trip to the jsii process for each float.
        return
    if is_token(value):
        return  # Terraform's to check
    if len(options) == 1:
        annotation = options[0]  # X | None: None was handled above
    else:
        fitting = next((option for option in options if _fits(value, option)), None)
        if fitting is None:
            raise fail(path, f"{_described(value)} given", _allowed(options))
        _check(path, value, fitting)
        return
    kind = typing.get_origin(annotation) or annotation
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, kind):
            example = f"{kind.__name__}(**...)" if isinstance(value, Mapping) else kind.__name__
            raise fail(path, f"{_described(value)} given", f"{kind.__name__}(...), e.g. {example}")
        check_prop_types(value, path)
    elif kind in (Sequence, list, tuple):
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
            raise fail(path, f"{_described(value)} given", "a list")
        (item_type,) = typing.get_args(annotation) or (Any,)
        for index, item in enumerate(value):
            _check(f"{path}[{index}]", item, item_type)
    elif kind in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise fail(path, f"{_described(value)} given", "a mapping (dict)")
    elif not _fits(value, annotation):
        raise fail(path, f"{_described(value)} given", _allowed((annotation,)))


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(annotation) if a is not type(None))
    return (annotation,)


def _fits(value: Any, annotation: Any) -> bool:
    kind = typing.get_origin(annotation) or annotation
    if annotation is Any:
        return True
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in (Sequence, list, tuple):
        return isinstance(value, list | tuple)
    if kind in (Mapping, dict):
        return isinstance(value, Mapping)
    return isinstance(value, kind)


def _allowed(options: tuple[Any, ...]) -> str:
    names = {
        bool: "true or false (a bool)",
        int: "an integer",
        float: "a number",
        str: "a string",
    }
    described = []
    for option in options:
        kind = typing.get_origin(option) or option
        if kind in (Sequence, list, tuple):
            described.append("a list")
        elif kind in (Mapping, dict):
            described.append("a mapping (dict)")
        else:
            described.append(names.get(kind, f"{getattr(kind, '__name__', kind)}(...)"))
    return " or ".join(described)


def _described(value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"{type(value).__name__} {shown}"


__all__ = ["check_keyword_properties", "check_prop_types"]
