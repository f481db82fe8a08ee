"""Restate's own value syntaxes in the props: replication (``{zone: 2}``) and versions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cdktf_restate.schema.errors import fail
from cdktf_restate.schema.limits import REPLICATION_SCOPES
from cdktf_restate.schema.tokens import is_token

#: Restate minor versions whose configuration keys this construct writes.
SUPPORTED_RESTATE_VERSIONS = ("1.7",)

# ASCII digits only: int() reads other scripts' digits, Restate does not.
_VERSION_RE = re.compile(r"v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:[-+][0-9A-Za-z.-]+)?")
_REPLICATION_RE = re.compile(r"\{ *([a-z]+ *: *[0-9]+ *(?:, *[a-z]+ *: *[0-9]+ *)*)\}")
_FACTOR_RE = re.compile(r"[0-9]{1,4}")
#: Restate keeps replication factors in a byte.
MAX_REPLICATION = 255
REPLICATION_ALLOWED = (
    "an integer >= 1 (node replication) or a string like '{zone: 2}' or '{zone: 2, node: 3}' "
    "with scopes region, zone, node"
)


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None (digest-only or untagged)."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def restate_version(image: str, explicit: str | None, path: str) -> str | None:
    """The Restate version (e.g. '1.7.12') from ``explicit`` or the image tag.

    Returns None when a token makes it unknowable at synth time.
    """
    if explicit is not None:
        if is_token(explicit):
            return None
        candidate, source = explicit, _at(path, "restate_version")
    else:
        if is_token(image):
            return None
        tag = image_tag(image)
        if tag is None or not _VERSION_RE.fullmatch(tag):
            raise fail(
                _at(path, "restate_image"),
                f"cannot derive the Restate version from {image!r} (tag {tag!r})",
                "an image tagged with a version such as :1.7.12, or set "
                + _at(path, "restate_version"),
            )
        candidate, source = tag, _at(path, "restate_image")
    match = _VERSION_RE.fullmatch(candidate)
    if not match:
        raise fail(source, f"unparseable Restate version {candidate!r}", "1.7 or 1.7.<patch>")
    minor = f"{match.group(1)}.{match.group(2)}"
    if explicit is not None and not is_token(image):
        # restate_version is for images without a version tag: it may not contradict one.
        tag = image_tag(image)
        tag_match = _VERSION_RE.fullmatch(tag) if tag else None
        if tag_match and f"{tag_match.group(1)}.{tag_match.group(2)}" != minor:
            tag_minor = f"{tag_match.group(1)}.{tag_match.group(2)}"
            raise fail(
                source,
                f"{explicit!r} disagrees with the image tag {tag!r}",
                f"the image's version ({tag_minor}.x), or leave restate_version unset",
            )
    if minor not in SUPPORTED_RESTATE_VERSIONS:
        raise fail(
            source,
            f"Restate version {candidate!r} is not supported",
            " or ".join(f"{v}.x" for v in SUPPORTED_RESTATE_VERSIONS),
        )
    return candidate.lstrip("v")


def parse_replication(value: Any, path: str) -> dict[str, int]:
    """Restate's replication property: ``2`` / ``"2"`` / ``"{zone: 2, node: 3}"``."""
    allowed = REPLICATION_ALLOWED
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise fail(path, f"{value!r} is not a replication", allowed)
    if isinstance(value, int) or _FACTOR_RE.fullmatch(value.strip(" ")):
        factor = int(value)
        if factor < 1:
            raise fail(path, f"replication factor {factor} is below 1", allowed)
        if factor > MAX_REPLICATION:
            raise fail(path, f"replication factor {factor} is above {MAX_REPLICATION}", allowed)
        return {"node": factor}
    match = _REPLICATION_RE.fullmatch(value.strip(" "))
    if not match:
        raise fail(path, f"{value!r} is not written like Restate's replication property", allowed)
    result: dict[str, int] = {}
    for part in match.group(1).split(","):
        scope, factor_text = (s.strip(" ") for s in part.split(":"))
        if scope not in REPLICATION_SCOPES:
            raise fail(path, f"unknown replication scope {scope!r}", allowed)
        if scope in result:
            raise fail(path, f"scope {scope!r} given twice", allowed)
        if int(factor_text) < 1:
            raise fail(path, f"{scope} replication {factor_text} is below 1", allowed)
        if int(factor_text) > MAX_REPLICATION:
            raise fail(
                path, f"{scope} replication {factor_text} is above {MAX_REPLICATION}", allowed
            )
        result[scope] = int(factor_text)
    if result.get("region", 1) > 1:
        raise fail(
            path,
            "region replication > 1 needs several regions; a cluster runs in one",
            "region: 1, or zone/node scopes",
        )
    return result


def format_replication(replication: Mapping[str, int]) -> str:
    """Canonical text Restate accepts: ``{zone: 2}``, ``{zone: 2, node: 3}``."""
    ordered = [s for s in REPLICATION_SCOPES if s in replication]
    return "{" + ", ".join(f"{s}: {replication[s]}" for s in ordered) + "}"
