"""Run a built image's entrypoint on this machine the way ECS runs the controller task.

No container engine runs here, so the image is mounted by buildah and entered with `unshare
--mount` + `chroot`, set up like the controller's task definition: host network (awsvpc gives
the task its own, but on 127.0.0.1 the host's is the test bed), a read-only root file system, a
fresh writable /tmp with the mode the image gives it, the image's user, environment and
entrypoint, and only the environment the caller passes on top (as a task definition's
`environment`). Host folders the caller names are bind-mounted at the same path.

`python -m cdktf_restate.devtools.image_run <container> [--bind PATH[:ro]]... [-- ARGS]`
execs in place (the pid stays the controller's), so stopping it is signalling that pid.
The container comes from `mounted_container` (a `buildah from` of the image, mounted).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdktf_restate.devtools.image import buildah_command, run

# What the caller's environment may hand to the image, as a task definition (or a Lambda
# function's configuration and runtime) would: the controller's and restatectl's settings and
# AWS's (the Lambda Runtime API address among them).
PASSED_PREFIXES = ("RESTATE_CONTROLLER_", "RESTATECTL_", "AWS_")


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an OCI image configuration that decide how its entrypoint runs."""

    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    user: str
    working_dir: str

    @classmethod
    def of_container(cls, container: str) -> ImageConfig:
        inspected = json.loads(run(buildah_command("inspect", container), what="buildah inspect"))
        config = inspected["OCIv1"]["config"]
        env = dict(item.split("=", 1) for item in config.get("Env") or [])
        return cls(
            entrypoint=list(config.get("Entrypoint") or []),
            cmd=list(config.get("Cmd") or []),
            env=env,
            user=config.get("User") or "0:0",
            working_dir=config.get("WorkingDir") or "/",
        )


@contextlib.contextmanager
def mounted_container(image: str, name: str) -> Iterator[str]:
    """A working container of `image` (its own copy of the root file system), removed after."""
    subprocess.run(buildah_command("rm", name), capture_output=True, check=False)
    run(buildah_command("from", "--pull-never", "--name", name, image), what="buildah from")
    try:
        yield name
    finally:
        subprocess.run(buildah_command("rm", name), capture_output=True, check=False)


def numeric_user(user: str) -> tuple[int, int]:
    """`uid[:gid]` as numbers; a user name would need the image's passwd, which ours lacks."""
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        raise ValueError(f"image user {user!r}: allowed: a numeric uid[:gid]")
    return int(uid), int(gid or uid)


def setup_script(
    rootfs: Path, binds: Sequence[tuple[str, bool]], tmp_mode: int, user: tuple[int, int]
) -> str:
    """Shell run inside the new mount namespace; ends by exec'ing chroot into the image."""
    root = shlex.quote(str(rootfs))
    lines = [
        "set -eu",
        f"mount --bind {root} {root}",
        f"mount --rbind /proc {root}/proc",
        f"mount --rbind /dev {root}/dev",
        f"mount -t tmpfs -o mode={tmp_mode:o},nosuid,nodev tmpfs {root}/tmp",
    ]
    for path, read_only in binds:
        target = shlex.quote(str(rootfs) + path)
        lines += [f"mkdir -p {target}", f"mount --bind {shlex.quote(path)} {target}"]
        if read_only:
            lines.append(f"mount -o remount,bind,ro {target}")
    lines += [
        f"mount -o remount,bind,ro {root}",
        f'exec chroot --userspec={user[0]}:{user[1]} {root} "$@"',
    ]
    return "\n".join(lines)


def exec_image(
    container: str,
    binds: Sequence[tuple[str, bool]],
    args: Sequence[str],
    env: Mapping[str, str],
    entrypoint: str | None = None,
) -> None:
    """Replace this process by the image's entrypoint (see the module docstring)."""
    rootfs = Path(run(buildah_command("mount", container), what="buildah mount").strip())
    config = ImageConfig.of_container(container)
    user = numeric_user(config.user)
    tmp_mode = stat.S_IMODE((rootfs / "tmp").stat().st_mode)
    for path, read_only in binds:
        if not read_only:
            # The image's user writes there (as into an EFS access point owned by it).
            for directory, _, files in os.walk(path):
                os.chown(directory, *user)
                for file in files:
                    os.chown(os.path.join(directory, file), *user, follow_symlinks=False)
    task_env = {
        **config.env,
        **{key: value for key, value in env.items() if key.startswith(PASSED_PREFIXES)},
    }
    command = [entrypoint] if entrypoint else config.entrypoint
    command += list(args) or ([] if entrypoint else config.cmd)
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    script = setup_script(rootfs, binds, tmp_mode, user)
    sys.stdout.flush()
    os.execve(
        unshare,
        [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh"]
        + command,
        {**task_env, "PATH": task_env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")},
    )


def parse_bind(value: str) -> tuple[str, bool]:
    path, _, mode = value.partition(":")
    if mode not in ("", "ro") or not os.path.isabs(path):
        raise argparse.ArgumentTypeError(f"--bind {value!r}: allowed: an absolute PATH or PATH:ro")
    return os.path.realpath(path), mode == "ro"


def command_prefix(
    container: str, binds: Sequence[tuple[str, bool]], entrypoint: str | None = None
) -> list[str]:
    """The command that runs the image's entrypoint in `container` with `binds`; arguments
    for the entrypoint follow it."""
    prefix = [sys.executable, "-m", "cdktf_restate.devtools.image_run", container]
    if entrypoint:
        prefix += ["--entrypoint", entrypoint]
    for path, read_only in binds:
        prefix += ["--bind", path + (":ro" if read_only else "")]
    return [*prefix, "--"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="image_run", description=__doc__.splitlines()[0])
    parser.add_argument("container", help="a buildah working container of the image")
    parser.add_argument("--bind", type=parse_bind, action="append", default=[])
    parser.add_argument("--entrypoint", help="run this program of the image instead")
    parser.epilog = "Arguments after `--` follow the entrypoint (else the image's CMD does)."
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    options = parser.parse_args(argv[:split])
    exec_image(options.container, options.bind, argv[split + 1 :], os.environ, options.entrypoint)
    return 1  # not reached: exec_image replaces the process


if __name__ == "__main__":
    sys.exit(main())
