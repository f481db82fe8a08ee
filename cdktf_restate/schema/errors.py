"""The one error type of bad props, and its message form: ``<path>: <problem>; allowed: <what>``."""

from __future__ import annotations


class RestateConfigError(ValueError):
    """An invalid construct property; the message names the property and what is allowed."""


def fail(path: str, problem: str, allowed: str) -> RestateConfigError:
    return RestateConfigError(f"{path}: {problem}; allowed: {allowed}")
