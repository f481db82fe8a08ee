"""The one error type of bad props, and its message form: ``<path>: <problem>; allowed: <what>``.

A config with several problems raises one ``RestateConfigError`` listing all of them, one per
line, in the order the props are documented; ``problems`` holds them as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Problem(NamedTuple):
    """One invalid property: where, what is wrong, and what is allowed."""

    path: str
    problem: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}; allowed: {self.allowed}"


class RestateConfigError(ValueError):
    """Invalid construct properties; the message names each property and what is allowed."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)


def fail(path: str, problem: str, allowed: str) -> RestateConfigError:
    return config_error([Problem(path, problem, allowed)])


def config_error(problems: Sequence[Problem]) -> RestateConfigError:
    """One error for all ``problems`` (at least one)."""
    return RestateConfigError("\n".join(map(str, problems)), problems)
