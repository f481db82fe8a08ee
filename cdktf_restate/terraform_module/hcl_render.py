"""Render Terraform JSON (as cdktf synthesizes it) as native HCL.

cdktf 0.21's own HCL output does not render our resources (their attributes are
rendered by one JSON element per stack, see ``_tf.py``), so the module generator renders
the synthesized JSON itself. The JSON syntax and the native syntax differ in three
places this module handles:

- strings are templates in both, but a string that is exactly one ``${...}`` is an
  expression and is written bare (``var.x``, not ``"${var.x}"``); inside ``${...}``
  quotes are expression syntax and are not escaped;
- nested blocks are lists of objects in JSON; which keys are blocks comes from the
  provider schema (``terraform providers schema -json``), passed in as ``block_types``;
- ``depends_on`` holds bare references.

The output is not aligned; ``terraform fmt`` does that afterwards.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Mapping
from typing import Any

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

#: Nested blocks of the ``lifecycle`` meta-argument (not in any provider schema).
LIFECYCLE_BLOCKS = {"precondition": {}, "postcondition": {}}

#: resource or data type -> nested block names -> the block's own nested blocks.
BlockTypes = Mapping[str, Any]


class HclRenderError(ValueError):
    pass


# ---------------------------------------------------------------- templates


def split_template(text: str) -> list[tuple[str, str]]:
    """Split a Terraform template into ("literal", text) and ("interp"/"directive", inner) parts.

    ``$${`` and ``%%{`` are escapes for a literal ``${``/``%{`` and stay literal text.
    """
    parts: list[tuple[str, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            literal.append(text[i : i + 3])
            i += 3
            continue
        if text.startswith(("${", "%{"), i):
            end = _matching_brace(text, i + 2)
            if literal:
                parts.append(("literal", "".join(literal)))
                literal = []
            kind = "interp" if text[i] == "$" else "directive"
            parts.append((kind, text[i + 2 : end]))
            i = end + 1
            continue
        literal.append(text[i])
        i += 1
    if literal:
        parts.append(("literal", "".join(literal)))
    return parts


def _matching_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing an expression that starts at ``start``."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _end_of_quoted(text, i)
        elif char in "{[(":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise HclRenderError(f"unterminated template expression in {text!r}")


def _end_of_quoted(text: str, start: int) -> int:
    """Index of the closing quote of a quoted template inside an expression."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if text.startswith(("${", "%{"), i):
            i = _matching_brace(text, i + 2) + 1
            continue
        if text[i] == '"':
            return i
        i += 1
    raise HclRenderError(f"unterminated string in expression {text!r}")


def _escape_literal(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def render_string(text: str) -> str:
    """A JSON-syntax string as a native expression: bare if it is one interpolation."""
    parts = split_template(text)
    if len(parts) == 1 and parts[0][0] == "interp":
        return parts[0][1].strip()
    rendered = []
    for kind, value in parts:
        if kind == "literal":
            rendered.append(_escape_literal(value))
        else:
            rendered.append(("${" if kind == "interp" else "%{") + value + "}")
    return '"' + "".join(rendered) + '"'


HEREDOC_MARKER = "EOT"


def _fits_heredoc(text: str) -> bool:
    """Multi-line text (scripts) reads better as a heredoc; CRs and marker lines do not fit."""
    lines = text.split("\n")
    return len(lines) > 2 and "\r" not in text and HEREDOC_MARKER not in lines


def render_heredoc(text: str) -> str:
    """A heredoc template with exactly ``text``: heredocs have no backslash escapes, and
    ``${``/``%{`` (and their ``$${``/``%%{`` escapes) mean the same as in JSON strings.
    A heredoc always ends with a newline: ``chomp`` removes the one ``text`` does not have."""
    if text.endswith("\n"):
        return f"<<{HEREDOC_MARKER}\n{text}{HEREDOC_MARKER}\n"
    return f"chomp(<<{HEREDOC_MARKER}\n{text}\n{HEREDOC_MARKER}\n)"


# ---------------------------------------------------------------- JSON documents in strings

_PLACEHOLDER = "\u0000{}\u0000"


class _Bare(str):
    """A placeholder for an interpolation that stood outside any JSON string (e.g. a number)."""


def json_document(text: str) -> Any | None:
    """A JSON object/array string (policies, container definitions) as a value to be written
    as ``jsonencode(...)``, with its interpolations kept; None if ``text`` is not one.

    Key order is not preserved by Terraform's ``jsonencode`` (it sorts keys); every consumer
    (IAM, ECS) compares these documents semantically.
    """
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        parts = split_template(text)
    except HclRenderError:
        return None
    expressions: list[str] = []
    pieces: list[str] = []
    in_string = False
    for kind, value in parts:
        if kind == "directive":
            return None
        if kind == "literal":
            in_string = _string_state_after(value, in_string)
            pieces.append(value)
            continue
        expressions.append(value)
        marker = _PLACEHOLDER.format(len(expressions) - 1)
        pieces.append(json.dumps(marker)[1:-1] if in_string else json.dumps("\u0001" + marker))
    try:
        document = json.loads("".join(pieces))
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict | list):
        return None
    return _restore(document, expressions)


def _string_state_after(literal: str, in_string: bool) -> bool:
    escaped = False
    for char in literal:
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
    return in_string


#: Expressions known to be numbers (set by ``render_document``).
_NUMERIC: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "numeric_expressions", default=frozenset()
)


class _StringOf(str):
    """A JSON string that was exactly one interpolation: HCL would unwrap ``"${x}"`` to x's
    own type (a number variable would become a JSON number), so variables get tostring()."""


def _restore(value: Any, expressions: list[str]) -> Any:
    if isinstance(value, str):
        if value.startswith("\u0001"):
            index = int(value[1:].strip("\u0000"))
            return "${" + expressions[index] + "}"
        for index, expression in enumerate(expressions):
            if value == _PLACEHOLDER.format(index) and expression.strip() in _NUMERIC.get():
                return _StringOf(expression.strip())
        for index, expression in enumerate(expressions):
            value = value.replace(_PLACEHOLDER.format(index), "${" + expression + "}")
        return value
    if isinstance(value, list):
        return [_restore(v, expressions) for v in value]
    if isinstance(value, dict):
        return {_restore(k, expressions): _restore(v, expressions) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- values and bodies


def render_key(key: str) -> str:
    """Object keys: quoted unless a plain identifier, so ``restate:cluster`` stays a string."""
    if IDENTIFIER.match(key) and "-" not in key:
        return key
    if isinstance(key, _StringOf):
        return f"({key})"
    rendered = render_string(key)
    # A bare expression as an object key must be parenthesized to be evaluated.
    return rendered if rendered.startswith('"') else f"({rendered})"


def render_value(value: Any, indent: int = 0) -> str:
    pad = "  " * (indent + 1)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, _StringOf):
        return f"tostring({value})"
    if isinstance(value, str):
        as_json = json_document(value)
        if as_json is not None:
            return f"jsonencode({render_value(as_json, indent)})"
        if _fits_heredoc(value):
            return render_heredoc(value)
        return render_string(value)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [f"{pad}{render_value(item, indent + 1)}," for item in value]
        return "[\n" + "\n".join(items) + "\n" + "  " * indent + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{pad}{render_key(k)} = {render_value(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + "  " * indent + "}"
    raise HclRenderError(f"cannot render {type(value).__name__} {value!r}")


def _bare_reference(text: str) -> str:
    parts = split_template(text)
    if len(parts) == 1 and parts[0][0] == "interp":
        return parts[0][1].strip()
    return text


def render_body(body: Mapping[str, Any], block_types: BlockTypes, indent: int = 1) -> list[str]:
    """Lines of a block body: attributes, then nested blocks in the order given."""
    pad = "  " * indent
    lines: list[str] = []
    for key, value in body.items():
        if key == "//":
            continue  # cdktf metadata
        if key == "depends_on":
            refs = ", ".join(_bare_reference(v) for v in value)
            lines.append(f"{pad}depends_on = [{refs}]")
        elif key == "dynamic":
            # Terraform JSON's {"dynamic": {"<block>": {"for_each": ..., "content": {...}}}}.
            for name, spec in value.items():
                lines.append(f'{pad}dynamic "{name}" {{')
                lines.append(f"{pad}  for_each = {render_value(spec['for_each'], indent + 1)}")
                lines.append(f"{pad}  content {{")
                lines += render_body(spec["content"], block_types.get(name, {}), indent + 2)
                lines.append(f"{pad}  }}")
                lines.append(f"{pad}}}")
        elif key == "lifecycle" or key in block_types:
            nested = LIFECYCLE_BLOCKS if key == "lifecycle" else block_types[key]
            blocks = value if isinstance(value, list | tuple) else [value]
            for block in blocks:
                lines.append(f"{pad}{key} {{")
                lines += render_body(block, nested, indent + 1)
                lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{key} = {render_value(value, indent)}")
    return lines


def render_document(
    document: Mapping[str, Any],
    schemas: Mapping[str, BlockTypes],
    numeric_expressions: frozenset[str] = frozenset(),
) -> str:
    """``resource``, ``data``, ``locals`` and ``output`` sections of a Terraform JSON document.

    ``schemas`` maps ``resource.<type>``/``data.<type>`` to that type's nested block names;
    ``numeric_expressions`` (e.g. number variables) are wrapped in ``tostring()`` where a
    JSON document had them as strings.
    """
    token = _NUMERIC.set(numeric_expressions)
    try:
        return _render_document(document, schemas)
    finally:
        _NUMERIC.reset(token)


def _render_document(document: Mapping[str, Any], schemas: Mapping[str, BlockTypes]) -> str:
    chunks: list[str] = []
    if document.get("locals"):
        chunks.append("\n".join(["locals {", *render_body(document["locals"], {}), "}"]))
    for kind in ("data", "resource"):
        for resource_type, resources in (document.get(kind) or {}).items():
            blocks = schemas.get(f"{kind}.{resource_type}", {})
            for name, body in resources.items():
                header = f'{kind} "{resource_type}" "{name}" {{'
                chunks.append("\n".join([header, *render_body(body, blocks), "}"]))
    for name, body in (document.get("output") or {}).items():
        chunks.append("\n".join([f'output "{name}" {{', *render_body(body, {}), "}"]))
    return "\n\n".join(chunks) + "\n"


def block_types_from_schema(block: Mapping[str, Any]) -> dict[str, Any]:
    """Nested block names of one schema ``block`` (recursively) from ``providers schema -json``."""
    return {
        name: block_types_from_schema(nested.get("block") or {})
        for name, nested in (block.get("block_types") or {}).items()
    }
