"""How a props dataclass becomes a strict schema: pydantic validates it, we report it.

``@props_dataclass`` makes a frozen, keyword-only stdlib dataclass (what users construct and
editors complete) and gives pydantic what it needs to check one: strict mode (no coercion: a
bool is not an int, a float not an int, a string not a list), no NaN or infinity, every
instance revalidated, each field wrapped so that a cdktf token passes (Terraform checks it at
plan time), and one validator running the class's ``@cross_field`` rules, which sit in the
class next to the fields they relate. ``problems_of`` runs it all and returns every problem
as ``Problem(path, problem, allowed)``; nothing is raised half-way.

Why pydantic: it is the field's well-kept validation library (strict types, annotated
constraints, all errors of a tree in one pass, with their locations); we add only the AWS
rules it cannot know and the message form of ``errors.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from cdktf_restate.schema.errors import Problem, RestateConfigError
from cdktf_restate.schema.tokens import is_token
from cdktf_restate.schema.types import CHECK_ERROR, Allowed

T = TypeVar("T")

STRICT = ConfigDict(strict=True, allow_inf_nan=False, revalidate_instances="always")
RULES_ERROR = "restate_rules"
_CROSS_FIELD = "__restate_cross_field__"


def known(value: Any) -> bool:
    """A value given and known at synth time (not None, not a token)."""
    return value is not None and not is_token(value)


def _let_tokens_through(value: Any, handler: Callable[[Any], Any]) -> Any:
    # Valid values never reach is_token(), which may ask the jsii process.
    try:
        return handler(value)
    except ValidationError:
        if is_token(value):
            return value
        raise


TOKENS_PASS = WrapValidator(_let_tokens_through)


def cross_field(rule: Callable[[Any], Iterable[Problem] | None]) -> Callable[[Any], Any]:
    """Mark a method as a rule over several fields; it yields ``Problem``s (paths relative to
    the class) or raises ``RestateConfigError``. It runs once every field is valid."""
    setattr(rule, _CROSS_FIELD, True)
    return rule


def props_dataclass(cls: type[T]) -> type[T]:
    cls = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    cls.__pydantic_config__ = STRICT  # type: ignore[attr-defined]
    rules = [member for member in vars(cls).values() if getattr(member, _CROSS_FIELD, False)]

    def run_rules(self: Any) -> Any:
        found: list[Problem] = []
        for rule in rules:
            try:
                found.extend(rule(self) or ())
            except RestateConfigError as error:
                found.extend(error.problems)
        if found:
            raise PydanticCustomError(RULES_ERROR, "cross-field rules", {"problems": found})
        return self

    cls.__restate_rules__ = model_validator(mode="after")(run_rules)  # type: ignore[attr-defined]
    return cls


@functools.cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    _wrap_fields(cls)
    return TypeAdapter(cls)


def _wrap_fields(cls: type) -> None:
    """Every field of ``cls`` and of the dataclasses it holds lets tokens through."""
    if getattr(cls, "__restate_wrapped__", False):
        return
    hints = typing.get_type_hints(cls, include_extras=True)
    for field in dataclasses.fields(cls):
        field.type = _tokenable(hints[field.name])
        cls.__annotations__[field.name] = field.type
        for inner in _dataclasses_in(hints[field.name]):
            _wrap_fields(inner)
    cls.__restate_wrapped__ = True  # type: ignore[attr-defined]


def _tokenable(annotation: Any) -> Any:
    """``annotation`` where the value, and each item or mapping value in it, may be a token (a
    list of references is a list, each item checked unless it is a reference)."""
    return Annotated[_tokenable_items(annotation), TOKENS_PASS]


def _tokenable_items(annotation: Any) -> Any:
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return Annotated[(_tokenable_items(arguments[0]), *annotation.__metadata__)]  # type: ignore[valid-type]
    if origin in (Sequence, list, tuple) and len(arguments) == 1:
        return Sequence[_tokenable(arguments[0])]  # type: ignore[misc]
    if origin in (Mapping, dict) and len(arguments) == 2:
        return Mapping[arguments[0], _tokenable(arguments[1])]  # type: ignore[misc]
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, (_tokenable_items(a) for a in arguments))
    return annotation


def _dataclasses_in(annotation: Any) -> Iterator[type]:
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _dataclasses_in(argument)


def problems_of(cls: type, value: Any) -> list[Problem]:
    """Every problem of ``value`` as a ``cls``, in field order; empty when it is valid."""
    try:
        _adapter(cls).validate_python(value)
    except ValidationError as error:
        return [problem for item in error.errors() for problem in _problems(cls, item)]
    return []


def _problems(cls: type, error: Any) -> Iterator[Problem]:
    base = _path(error["loc"])
    kind, value = error["type"], error.get("input")
    context = error.get("ctx") or {}
    if kind == RULES_ERROR:
        for problem in context["problems"]:
            yield problem._replace(path=_join(base, problem.path))
    elif kind == CHECK_ERROR:
        yield Problem(base, context["problem"], context["allowed"])
    elif kind == "literal_error":
        yield Problem(base, f"{value!r} is not supported", _allowed(kind, context))
    elif value is None:
        described = _described_field(cls, error["loc"])
        if described is None:  # None as an item or a mapping value, not a field
            yield Problem(base, "None given", _allowed(kind, context))
        else:
            yield Problem(base, "missing", described)
    elif kind in _NUMBER_ERRORS and (allowed := _allowed_at(cls, error["loc"])):
        yield Problem(base, f"{value!r} is not {_NUMBER_ERRORS[kind]}", allowed)
    else:
        yield Problem(base, f"{_described(value)} given", _allowed(kind, context))


def _join(base: str, path: str) -> str:
    if not base:
        return path
    return f"{base}{path}" if path.startswith("[") or not path else f"{base}.{path}"


def _path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            continue
        elif not str(part).isprintable():
            # A mapping key with control characters: quoted, so a message stays one line.
            path += f"[{part!r}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


_NUMBER_ERRORS = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "finite_number": "a finite number",
}

_ALLOWED = {
    "bool_type": "true or false (a bool)",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "finite_number": "a finite number (not NaN or infinity)",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "sequence_str": "a list",
    "dict_type": "a mapping (dict)",
    "mapping_type": "a mapping (dict)",
    "is_instance_of": "an instance of the props class",
}


def _allowed(kind: str, context: dict[str, Any]) -> str:
    if kind == "literal_error":
        return str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
    if kind in ("dataclass_exact_type", "dataclass_type"):
        name = context.get("class_name", "the props class")
        return f"{name}(...), e.g. {name}(**...)"
    if kind in ("too_short", "too_long"):
        return f"{context.get('min_length', 0)}-{context.get('max_length', '')} items"
    return _ALLOWED.get(kind, kind.replace("_", " "))


def _described(value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"{type(value).__name__} {shown}"


def _described_field(cls: type, loc: Iterable[Any]) -> str | None:
    """The description of the field at ``loc`` (what a required field is); None when ``loc``
    ends at a list item or mapping value rather than a field."""
    owner: Any = cls
    description: str | None = None
    for part in loc:
        if isinstance(part, int) or not dataclasses.is_dataclass(owner):
            description = None
            continue
        fields = {field.name: field for field in dataclasses.fields(owner)}
        if part not in fields:
            description = None
            continue
        description = fields[part].metadata.get("description", "a value")
        owner = next(_dataclasses_in(typing.get_type_hints(owner)[part]), None)
    return description.replace(" Required.", "") if description is not None else None


def _allowed_at(cls: type, loc: Iterable[Any]) -> str | None:
    """The ``Allowed`` text of the field type at ``loc``, if it declares one."""
    annotation: Any = cls
    for part in loc:
        annotation = _unwrapped(annotation)
        if dataclasses.is_dataclass(annotation) and isinstance(part, str):
            annotation = typing.get_type_hints(annotation, include_extras=True).get(part)
        elif isinstance(part, int) and typing.get_args(annotation):
            annotation = typing.get_args(annotation)[0]
        else:
            return None
    while typing.get_origin(annotation) is Annotated or _is_optional(annotation):
        if typing.get_origin(annotation) is Annotated:
            found = [m for m in annotation.__metadata__ if isinstance(m, Allowed)]
            if found:
                return str(found[0])
            annotation = typing.get_args(annotation)[0]
        else:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return None


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation) and len(typing.get_args(annotation)) == 2


def _unwrapped(annotation: Any) -> Any:
    """Without Annotated layers and Optional."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif _is_optional(annotation):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation
