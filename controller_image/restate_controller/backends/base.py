"""The one interface every backend implements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from restate_controller.model import TaskInfo


class TaskBackend(Protocol):
    """Runs and stops stateful tasks. Raise TemporaryError/PermanentError from model on failure."""

    def list_tasks(self) -> list[TaskInfo]:
        """Managed stateful tasks of this cluster, including recently STOPPED ones.

        All of them or an error: a task left out (one the platform listed but could not
        describe) would make its zone look undisturbed or empty, and the planner would act on
        that. Raise TemporaryError instead of returning a partial list."""
        ...

    def run_task(self, az: str, tags: Mapping[str, str]) -> TaskInfo:
        """Start one task on the desired task definition in `az`, tagged with `tags`.

        The same launch decision repeated before the first launch shows in `list_tasks` (after
        a timeout, or by a restarted controller) should return the task already started where
        the platform allows it (ECS: a deterministic clientToken), not start a second one."""
        ...

    def tag_task(self, task_id: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on a task (also on a stopped one that is still listed)."""
        ...

    def stop_task(self, task_id: str, reason: str) -> None:
        """Stop a task (SIGTERM, then the platform's stop timeout). Idempotent."""
        ...

    @property
    def desired_task_definition(self) -> str:
        """The task definition new tasks run on; tasks on any other are outdated."""
        ...
