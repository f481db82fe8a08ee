"""Thin Terraform resource layer on cdktf core.

The construct synthesizes Terraform JSON through cdktf core only. It does not
import ``cdktf_cdktf_provider_aws``: that package's ``__init__`` imports ~2,100
submodules (15-17 s) and jsii then loads a 3-4 s assembly, for typed setters we
do not need. Attributes here are plain Python dicts (snake_case, exactly as in
the Terraform AWS provider 5.100.0 schema); ``terraform validate`` in the tests
checks them against the real provider schema. References are ordinary cdktf
tokens, so these resources compose with provider-binding resources in one stack.

Synth speed: every ``Resource``/``DataSource`` is a real cdktf element in the
construct tree (paths, logical ids, meta-arguments, tokens, ``depends_on``), but
its attributes stay in Python. One hidden element per stack
(``StackAttributes``) hands all of them to cdktf in a single callback, which
cdktf deep-merges with each element's own fragment (``//`` metadata, meta
arguments). Overriding ``synthesizeAttributes`` per resource instead costs two
node->Python round trips per resource per synth. Constructors and attribute
getters call the jsii kernel directly, skipping the generated bindings' runtime
type checks: the arguments are built here, not taken from users.

Plain references: while a construct of ours builds (``plain_references``), ``attr``
returns the reference's Terraform text (``${aws_x.<logical id>.arn}``), which cdktf
writes unchanged into attributes, outputs and locals, instead of a kernel token (a
round trip each to create, more work to resolve at synth): examples/minimal's build makes
175 kernel round trips instead of 205.
The one place where cdktf treats text differently from a token is inside ``Fn``/``Op``
calls (it escapes ``${``), so the construct calls them through ``fn``/``op``, which
turn the session's plain references into tokens first; and the construct turns its
public attributes into tokens when it is built (``tokenize_attributes``), so users
always get tokens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import cdktf
import jsii
from constructs import Construct

AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION_CONSTRAINT = ">= 5.100.0, < 6.0.0"
STACK_ATTRIBUTES_ID = "cdktf_restate_attributes"


def _drop_none(value: Any) -> Any:
    """Remove ``None`` values recursively so optional props simply disappear."""
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value if v is not None]
    return value


def _resource_config(values: dict[str, Any]) -> cdktf.TerraformResourceConfig:
    """A ``TerraformResourceConfig`` struct without the bindings' per-field type checks."""
    config = cdktf.TerraformResourceConfig.__new__(cdktf.TerraformResourceConfig)
    config._values = values
    return config


class StackAttributes(cdktf.TerraformElement):
    """Renders the attributes of every ``Resource`` and ``DataSource`` of one stack at once."""

    def __init__(self, stack: cdktf.TerraformStack) -> None:
        super().__init__(stack, STACK_ATTRIBUTES_ID)
        self._elements: list[Resource | DataSource] = []

    def register(self, element: Resource | DataSource) -> None:
        self._elements.append(element)

    def to_terraform(self) -> Any:  # jsii override, called twice per synth
        rendered: dict[str, dict[str, dict[str, Any]]] = {}
        for element in self._elements:
            by_type = rendered.setdefault(element.block, {})
            by_type.setdefault(element.resource_type, {})[element.logical_id] = element.attributes
        return rendered


# Logical ids, as cdktf's default TerraformStack.allocateLogicalId computes them (makeUniqueId
# over the construct path below the stack): computing them here saves one kernel round trip
# per resource at synth. Overridden ids and stacks with their own allocation ask cdktf.
_HIDDEN_ID = "Default"
_HIDDEN_FROM_HUMAN_ID = "Resource"
_MAX_ID_LENGTH = 255
_MAX_HUMAN_LENGTH = 240
_DISALLOWED_ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]")


def make_unique_id(components: Sequence[str]) -> str:
    """cdktf's ``makeUniqueId``: a readable join of the path plus 8 hex of its md5."""
    components = [c for c in components if c != _HIDDEN_ID]
    if not components:
        raise ValueError("cannot compute a logical id for an empty path")
    if len(components) == 1:
        candidate = _DISALLOWED_ID_CHARACTERS.sub("", components[0])
        if len(candidate) <= _MAX_ID_LENGTH:
            return candidate
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False)
    deduplicated: list[str] = []
    for component in components:
        if not deduplicated or not deduplicated[-1].endswith(component):
            deduplicated.append(component)
    human = "_".join(
        _DISALLOWED_ID_CHARACTERS.sub("", c) for c in deduplicated if c != _HIDDEN_FROM_HUMAN_ID
    )[:_MAX_HUMAN_LENGTH]
    return f"{human}_{digest.hexdigest()[:8].upper()}"


@dataclass
class _StackInfo:
    attributes: StackAttributes
    path: str
    default_logical_ids: bool


@dataclass(frozen=True)
class _ScopeInfo:
    stack: _StackInfo
    components: tuple[str, ...]  # the scope's path below its stack


_stacks: weakref.WeakKeyDictionary[Any, _StackInfo] = weakref.WeakKeyDictionary()
_scopes: weakref.WeakKeyDictionary[Any, _ScopeInfo] = weakref.WeakKeyDictionary()


def _scope_info(scope: Construct) -> _ScopeInfo:
    info = _scopes.get(scope)
    if info is not None:
        return info
    stack = jsii.sinvoke(cdktf.TerraformStack, "of", [scope])
    stack_info = _stacks.get(stack)
    if stack_info is None:
        stack_info = _stacks[stack] = _StackInfo(
            attributes=StackAttributes(stack),
            path=stack.node.path,
            default_logical_ids=type(stack)._allocate_logical_id
            is cdktf.TerraformStack._allocate_logical_id,
        )
    path = stack_info.path if scope is stack else scope.node.path
    below = path[len(stack_info.path) :].lstrip("/")
    info = _scopes[scope] = _ScopeInfo(stack_info, tuple(below.split("/")) if below else ())
    return info


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """cdktf's ``addOverride`` path semantics: dots descend, non-objects are replaced."""
    *parents, last = path.split(".")
    for key in parents:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[last] = value


# ---------------------------------------------------------------- plain references

_REFERENCE_TEXT = re.compile(r"\$\{[^${}]+\}")


@dataclass
class _PlainReferences:
    """One construct's build: the reference texts it handed out, by text."""

    stack: _StackInfo
    by_text: dict[str, tuple[_Attributed, str]] = dataclasses.field(default_factory=dict)

    def holds(self, text: str) -> bool:
        return any(m.group(0) in self.by_text for m in _REFERENCE_TEXT.finditer(text))

    def token_for(self, match: re.Match[str]) -> str:
        found = self.by_text.get(match.group(0))
        return found[0]._token("getStringAttribute", found[1]) if found else match.group(0)


_sessions: list[_PlainReferences] = []


@contextlib.contextmanager
def plain_references(scope: Construct) -> Iterator[None]:
    """Within: ``attr`` of the elements of ``scope``'s stack returns reference text."""
    _sessions.append(_PlainReferences(_scope_info(scope).stack))
    try:
        yield
    finally:
        _sessions.pop()


def contains_plain_reference(text: str) -> bool:
    """True if ``text`` holds a reference handed out as text by a build in progress."""
    return bool(_sessions) and _sessions[-1].holds(text)


def as_tokens(value: Any) -> Any:
    """``value`` with the plain references of the build in progress as tokens (strings, and
    lists, tuples and dicts of them; other values as they are)."""
    if not _sessions:
        return value
    session = _sessions[-1]
    if isinstance(value, str):
        return _REFERENCE_TEXT.sub(session.token_for, value) if "${" in value else value
    if isinstance(value, list | tuple):
        return type(value)(as_tokens(v) for v in value)
    if isinstance(value, dict):
        return {k: as_tokens(v) for k, v in value.items()}
    return value


class _Tokenizing:
    """``cdktf.Fn``/``cdktf.Op`` with their arguments' plain references made tokens."""

    def __init__(self, target: type) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(self._target, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return function(*as_tokens(args), **as_tokens(kwargs))

        return call


fn = cast("type[cdktf.Fn]", _Tokenizing(cdktf.Fn))
op = cast("type[cdktf.Op]", _Tokenizing(cdktf.Op))


def tokenize_attributes(owner: object) -> None:
    """Replace the plain references in ``owner``'s public attributes (and in those of the
    plain objects they hold) by tokens: what users read from a construct is always a token."""
    _tokenize_object(owner, set())


def _tokenize_object(owner: object, seen: set[int]) -> None:
    if id(owner) in seen or not hasattr(owner, "__dict__"):
        return
    seen.add(id(owner))
    for name, value in list(vars(owner).items()):
        if name.startswith("_"):
            continue
        tokenized = _tokenized_value(value, seen)
        if tokenized is not value:
            object.__setattr__(owner, name, tokenized)  # frozen dataclasses too


def _tokenized_value(value: Any, seen: set[int]) -> Any:
    if isinstance(value, str | list | tuple | dict):
        tokenized = as_tokens(value)
        return value if tokenized == value else tokenized
    if hasattr(value, "__jsii_ref__") or isinstance(value, type):
        return value  # jsii objects (elements, outputs) keep their own references
    _tokenize_object(value, seen)
    return value


class _Attributed:
    """What ``Resource`` and ``DataSource`` share: Python-side attributes and cheap tokens."""

    block: str
    resource_type: str
    # The values rendered for this element, for reading and add_override. References between
    # the construct's own resources are Terraform text here: to refer to an attribute, use
    # attr()/arn/id_/name, which give tokens (text inside cdktf.Fn would be escaped).
    attributes: dict[str, Any]
    counted: bool  # has a ``count``; known here, reading cdktf's costs a kernel round trip
    _logical_id: str | None = None
    _tokens: dict[tuple[str, str], Any]
    _default_id: str | None  # None: ask cdktf (custom allocation or an overridden id)
    _referenced_as_text = False  # a plain reference holds the logical id
    _stack: _StackInfo

    def _create(
        self, scope: Construct, id: str, attributes: Mapping[str, Any], meta: dict[str, Any]
    ) -> None:
        """Create the cdktf element (one kernel call) and register it with its stack."""
        self.resource_type = meta["terraform_resource_type"]
        self.attributes = _drop_none(dict(attributes))
        self._tokens = {}
        self.counted = "count" in meta
        jsii.create(self.__class__, self, [scope, id, _resource_config(meta)])
        info = _scope_info(scope)
        info.stack.attributes.register(self)
        self._stack = info.stack
        # constructs replaces "/" in ids with "--"; the path components are the sanitized ids.
        components = (*info.components, id.replace("/", "--"))
        self._default_id = make_unique_id(components) if info.stack.default_logical_ids else None

    @property
    def logical_id(self) -> str:
        """The element's logical id (as cdktf's ``friendlyUniqueId``), fixed once read."""
        if self._logical_id is None:
            self._logical_id = self._default_id or jsii.get(self, "friendlyUniqueId")
        return self._logical_id

    def override_logical_id(self, new_logical_id: str) -> None:
        self._check_id_not_referenced()
        self._default_id = None
        jsii.invoke(self, "overrideLogicalId", [new_logical_id])

    def reset_override_logical_id(self) -> None:
        self._check_id_not_referenced()
        self._default_id = None
        jsii.invoke(self, "resetOverrideLogicalId", [])

    def _check_id_not_referenced(self) -> None:
        if self._referenced_as_text:
            raise RuntimeError(
                f"{self.resource_type} {self.logical_id}: its logical id is already used by "
                "references; a logical id can only be overridden right after the element is "
                "created (to rename a deployed resource, use a moved block or terraform state mv)"
            )

    def add_override(self, path: str, value: Any) -> None:
        """The cdktf escape hatch, applied to the attributes this element renders."""
        _set_path(self.attributes, path, value)

    def _token(self, getter: str, name: str) -> Any:
        # One kernel round trip per distinct attribute: the construct asks for many twice.
        key = (getter, name)
        token = self._tokens.get(key)
        if token is None:
            token = self._tokens[key] = jsii.invoke(self, getter, [name])
        return token

    def attr(self, name: str) -> str:
        """A token for ``${type.name.<name>}``; its text while a construct of ours builds in
        this element's stack with cdktf's default logical ids (see ``plain_references``)."""
        session = _sessions[-1] if _sessions else None
        if session is None or self._default_id is None or session.stack is not self._stack:
            return self._token("getStringAttribute", name)
        prefix = "data." if self.block == "data" else ""
        text = f"${{{prefix}{self.resource_type}.{self.logical_id}.{name}}}"
        session.by_text.setdefault(text, (self, name))
        self._referenced_as_text = True
        return text

    def list_attr(self, name: str) -> list[str]:
        return list(self._token("getListAttribute", name))

    def one(self, name: str) -> str:
        """``one(type.name[*].<name>)``: the attribute of an element with ``count`` 0 or 1
        (null when it does not exist)."""
        return cdktf.Token.as_string(fn.one(self.list_attr(f"*.{name}")))

    def ref(self, name: str) -> str:
        """The attribute: ``attr(name)``, or ``one(name)`` when the element has a ``count``."""
        return self.one(name) if self.counted else self.attr(name)


def _meta_arguments(
    resource_type: str,
    depends_on: Sequence[cdktf.ITerraformDependable] | None,
    lifecycle: cdktf.TerraformResourceLifecycle | Mapping[str, Any] | None,
    count: float | str | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {"terraform_resource_type": resource_type}
    if depends_on:
        values["depends_on"] = list(depends_on)
    if lifecycle is not None:
        if isinstance(lifecycle, Mapping):
            lifecycle = cdktf.TerraformResourceLifecycle(**lifecycle)
        values["lifecycle"] = lifecycle
    if count is not None:
        values["count"] = count
    return values


class Resource(_Attributed, cdktf.TerraformResource):
    """A Terraform resource of any AWS type, with attributes given as a dict."""

    block = "resource"

    def __init__(
        self,
        scope: Construct,
        id: str,
        resource_type: str,
        attributes: Mapping[str, Any],
        *,
        depends_on: Sequence[cdktf.ITerraformDependable] | None = None,
        lifecycle: cdktf.TerraformResourceLifecycle | None = None,
        count: float | str | None = None,
    ) -> None:
        meta = _meta_arguments(resource_type, depends_on, lifecycle, count)
        self._create(scope, id, attributes, meta)

    @property
    def arn(self) -> str:
        return self.attr("arn")

    @property
    def id_(self) -> str:
        return self.attr("id")

    @property
    def name(self) -> str:
        return self.attr("name")


class DataSource(_Attributed, cdktf.TerraformDataSource):
    """A Terraform data source of any AWS type, with arguments given as a dict."""

    block = "data"

    def __init__(
        self,
        scope: Construct,
        id: str,
        data_type: str,
        arguments: Mapping[str, Any],
        *,
        count: float | str | None = None,
    ) -> None:
        self._create(scope, id, arguments, _meta_arguments(data_type, None, None, count))


class AwsProvider(cdktf.TerraformProvider):
    """The ``hashicorp/aws`` provider block, pinned to the 5.x line we test (5.100.0)."""

    def __init__(self, scope: Construct, id: str, **arguments: Any) -> None:
        self._attributes = _drop_none(arguments)
        super().__init__(
            scope,
            id,
            terraform_resource_type="aws",
            terraform_provider_source=AWS_PROVIDER_SOURCE,
            terraform_generator_metadata=cdktf.TerraformProviderGeneratorMetadata(
                provider_name="aws",
                provider_version="5.100.0",
                provider_version_constraint=AWS_PROVIDER_VERSION_CONSTRAINT,
            ),
        )

    def _synthesize_attributes(self) -> Mapping[str, Any]:  # jsii override
        return self._attributes


def moto_endpoints(url: str) -> list[dict[str, str]]:
    """Provider ``endpoints`` for every service the cluster uses, pointed at one emulator."""
    services = [
        "cloudwatch", "cloudwatchevents", "cloudwatchlogs", "ec2", "ecs", "elbv2", "iam",
        "kms", "lambda", "s3", "sqs", "sts", "ssm", "sns",
    ]  # fmt: skip
    return [{service: url for service in services}]


def emulator_provider_arguments(url: str, region: str = "us-east-1") -> dict[str, Any]:
    """Provider settings for a local AWS emulator (moto) on loopback."""
    return {
        "region": region,
        "access_key": "test",
        "secret_key": "test",
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "skip_requesting_account_id": True,
        "s3_use_path_style": True,
        "endpoints": moto_endpoints(url),
    }
