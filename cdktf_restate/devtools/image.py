"""The controller image, built offline with buildah (`cdktf-restate image build`).

The same controller_image/Dockerfile users build with `docker build` from the public bases is
built here from local inputs that take the place of its fetching stages:
- the base: Debian bookworm with python3 (Debian packages), made by mmdebstrap, cached as a
  tarball under .cache/controller-image/ and imported once into buildah's storage;
- `python-deps`: boto3 (the version installed in this checkout's venv, pip-installed from PyPI
  on this machine, since Debian's python3-boto3 1.26 predates the ECS EBS volume API) pruned to
  the models the controller loads by the image's own controller_image/docker/prune-botocore.py;
- `restatectl`: the binary scripts/setup.sh installs from npm for this architecture.
The image is written as an OCI archive to build/controller-image/. buildah runs as root with
the vfs storage driver and chroot isolation, its storage kept in .cache/containers/.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = REPO_ROOT / "controller_image"
CONTAINERFILE = IMAGE_DIR / "Dockerfile"
CACHE = REPO_ROOT / ".cache" / "controller-image"
STORAGE = REPO_ROOT / ".cache" / "containers"
OUTPUT = REPO_ROOT / "build" / "controller-image"
IMAGE_NAME = "localhost/cdktf-restate-controller"
BASE_NAME = "localhost/cdktf-restate-controller-base"
SUITE = "bookworm"
BINFMT_MISC = Path("/proc/sys/fs/binfmt_misc")
# Debian architecture -> the npm package suffix of restatectl.
NPM_ARCH = {"amd64": "x64", "arm64": "arm64"}
# python3 (no pip, no recommends, no docs): the controller needs the standard library; and
# ca-certificates as in the public python:3.11-slim base: restatectl and restate-server load
# the system's roots (boto3 brings its own bundle). The merged-usr hook sets up /usr without installing usrmerge (which pulls in 45 MB of perl).
MMDEBSTRAP_OPTIONS = (
    "--variant=essential",
    "--include=python3,ca-certificates",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    '--aptopt=APT::Install-Recommends "false"',
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
    # iconv modules: Python has its own codecs.
    "--dpkgopt=path-exclude=/usr/lib/*/gconv/*",
    # The standard library's own tests and IDLE (dpkg must still install them: its scripts
    # byte-compile them).
    "--customize-hook=rm -rf "
    '"$1"/usr/lib/python3.11/test "$1"/usr/lib/python3.11/idlelib "$1"/usr/lib/python3.11/ensurepip',
    # Essential packages nothing in the image runs (14 MB). Purged through dpkg, so its
    # database (what image scanners read) stays true; a shell and coreutils stay for ECS Exec.
    '--customize-hook=chroot "$1" dpkg --purge --force-remove-essential --force-depends '
    "perl-base util-linux login tar",
)


class ImageBuildError(RuntimeError):
    """A build step failed; the message says which and how to fix it."""


@dataclass(frozen=True)
class BuiltImage:
    arch: str
    reference: str
    archive: Path


def buildah_command(*args: str) -> list[str]:
    return [
        "buildah",
        "--root",
        str(STORAGE / "storage"),
        "--runroot",
        str(STORAGE / "run"),
        "--storage-driver",
        "vfs",
        *args,
    ]


def run(command: list[str], *, what: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ImageBuildError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{result.stderr.strip()[-3000:]}"
        )
    return result.stdout


def require_tools() -> None:
    missing = [tool for tool in ("buildah", "mmdebstrap") if shutil.which(tool) is None]
    if missing:
        raise ImageBuildError(
            f"{', '.join(missing)} not found; install with `apt-get install buildah mmdebstrap` "
            "(scripts/setup.sh does it when run as root)"
        )


def base_key(arch: str) -> str:
    """Names the cached base: a change of the options builds it again."""
    digest = hashlib.sha256(json.dumps([SUITE, arch, MMDEBSTRAP_OPTIONS]).encode()).hexdigest()
    return f"{SUITE}-{arch}-{digest[:12]}"


def host_arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def require_emulation(arch: str) -> None:
    """mmdebstrap runs the packages' scripts for `arch`: another architecture than this
    machine's needs qemu-user-static registered with binfmt_misc (the F flag, so it works
    inside the chroot). Only the base needs it: the Dockerfile's final stage runs nothing."""
    qemu = {"arm64": "qemu-aarch64", "amd64": "qemu-x86_64"}[arch]
    handler = BINFMT_MISC / qemu
    if arch != host_arch() and not (handler.exists() and handler.read_text().startswith("enabled")):
        raise ImageBuildError(
            f"building the {arch} base on {host_arch()} needs emulation: apt-get install "
            f"qemu-user-static binfmt-support; mount -t binfmt_misc binfmt_misc {BINFMT_MISC} "
            f"(if not mounted); update-binfmts --enable {qemu}"
        )


def base_rootfs(arch: str) -> Path:
    """The Debian base as a tarball, made by mmdebstrap once per option set (~40-60 s; ~5 min
    for another architecture under qemu)."""
    tarball = CACHE / f"base-{base_key(arch)}.tar"
    if tarball.exists():
        return tarball
    require_emulation(arch)
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial.tar")
    run(
        ["mmdebstrap", f"--architectures={arch}", *MMDEBSTRAP_OPTIONS, SUITE, str(partial)],
        what=f"mmdebstrap of the {arch} base",
    )
    partial.replace(tarball)
    return tarball


def image_exists(reference: str) -> bool:
    result = subprocess.run(
        buildah_command("inspect", "--type", "image", reference),
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def base_image(arch: str) -> str:
    """The base tarball as an image in buildah's storage (`from scratch` + `add` + `commit`)."""
    reference = f"{BASE_NAME}:{base_key(arch)}"
    if image_exists(reference):
        return reference
    tarball = base_rootfs(arch)
    container = run(
        buildah_command("from", "--arch", arch, "--os", "linux", "scratch"), what="buildah from"
    ).strip()
    try:
        run(buildah_command("add", container, str(tarball), "/"), what="buildah add (the base)")
        run(
            buildah_command(
                "config", "--arch", arch, "--os", "linux", "--env", "PATH=" + DEBIAN_PATH, container
            ),
            what="buildah config",
        )
        run(buildah_command("commit", "--rm", container, reference), what="buildah commit")
    except BaseException:
        subprocess.run(buildah_command("rm", container), capture_output=True, check=False)
        raise
    return reference


DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def restatectl_binary(arch: str) -> Path:
    npm_arch = NPM_ARCH[arch]
    for candidate in (
        REPO_ROOT / f"node_modules/@restatedev/restatectl-linux-{npm_arch}/bin/restatectl",
        REPO_ROOT / f".cache/npm/restatectl-linux-{npm_arch}/bin/restatectl",
    ):
        if candidate.is_file():
            return candidate
    raise ImageBuildError(f"no restatectl for linux-{npm_arch}; run `bash scripts/setup.sh`")


def restatectl_context(arch: str) -> Path:
    """A build context holding only `restatectl` (what the Dockerfile's stage would produce)."""
    context = CACHE / f"restatectl-{arch}"
    context.mkdir(parents=True, exist_ok=True)
    shutil.copy2(restatectl_binary(arch), context / "restatectl")
    return context


def python_deps_context(boto3_version: str) -> Path:
    """boto3 and its dependencies, pure Python so one folder serves every architecture."""
    context = CACHE / f"python-deps-boto3-{boto3_version}"
    if (context / "boto3").is_dir():
        return context
    partial = context.with_name(context.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-cache-dir",
            "--no-compile",
            "--only-binary=:all:",
            "--python-version=3.11",
            "--target",
            str(partial),
            f"boto3=={boto3_version}",
        ],
        what="pip install of boto3 for the image",
    )
    run(
        [sys.executable, str(IMAGE_DIR / "docker" / "prune-botocore.py"), str(partial)],
        what="prune-botocore",
    )
    partial.replace(context)
    return context


def build(arch: str = "amd64", *, tag: str | None = None) -> BuiltImage:
    """Build the image for `arch` and write build/controller-image/<name>-<arch>.oci.tar."""
    if arch not in NPM_ARCH:
        raise ImageBuildError(f"--arch {arch!r}: allowed: {', '.join(NPM_ARCH)}")
    require_tools()
    tag = tag or package_version("cdktf-restate")
    reference = f"{IMAGE_NAME}:{tag}-{arch}"
    boto3_version = package_version("boto3")
    run(
        buildah_command(
            "bud",
            "--isolation",
            "chroot",
            "--pull-never",
            "--platform",
            f"linux/{arch}",
            "--build-arg",
            f"BASE_IMAGE={base_image(arch)}",
            "--build-arg",
            f"BOTO3_VERSION={boto3_version}",
            "--build-context",
            f"restatectl={restatectl_context(arch)}",
            "--build-context",
            f"python-deps={python_deps_context(boto3_version)}",
            "--tag",
            reference,
            "--file",
            str(CONTAINERFILE),
            str(IMAGE_DIR),
        ),
        what=f"buildah bud ({arch})",
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    archive = OUTPUT / f"cdktf-restate-controller-{tag}-{arch}.oci.tar"
    archive.unlink(missing_ok=True)
    run(
        buildah_command("push", reference, f"oci-archive:{archive}:{IMAGE_NAME}:{tag}-{arch}"),
        what="buildah push to an OCI archive",
    )
    forget_stale(arch)
    return BuiltImage(arch=arch, reference=reference, archive=archive)


def forget_stale(arch: str) -> None:
    """Free the private storage (vfs keeps a full copy per image): images a rebuild untagged,
    and bases of `arch` made with other options than today's, as image and as tarball."""
    current = base_key(arch)
    for tarball in CACHE.glob(f"base-{SUITE}-{arch}-*.tar"):
        if tarball.name != f"base-{current}.tar":
            tarball.unlink()
    listed = run(
        buildah_command("images", "--format", "{{.Name}}:{{.Tag}}"), what="buildah images"
    ).split()
    stale = [
        ref
        for ref in listed
        if ref.startswith(f"{BASE_NAME}:{SUITE}-{arch}-") and ref != f"{BASE_NAME}:{current}"
    ]
    # Best effort: an image a working container still uses stays until the next build.
    if stale:
        subprocess.run(buildah_command("rmi", *stale), capture_output=True, check=False)
    subprocess.run(buildah_command("rmi", "--prune"), capture_output=True, check=False)


# --------------------------------------------------------------------------------------------
# Reading an OCI archive (bench/image_size.py, tests)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArchiveSize:
    compressed_bytes: int
    uncompressed_bytes: int
    layers: int


def archive_size(archive: Path) -> ArchiveSize:
    """What a registry stores and a pull downloads (the compressed layers), and the unpacked
    size (the layers' contents)."""
    with tarfile.open(archive) as oci:

        def blob(digest: str) -> bytes:
            member = oci.extractfile("blobs/" + digest.replace(":", "/"))
            assert member is not None
            return member.read()

        index = json.loads(oci.extractfile("index.json").read())  # type: ignore[union-attr]
        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        compressed = uncompressed = 0
        for layer in manifest["layers"]:
            compressed += layer["size"]
            with tarfile.open(
                fileobj=oci.extractfile("blobs/" + layer["digest"].replace(":", "/"))
            ) as content:
                uncompressed += sum(member.size for member in content if member.isfile())
        return ArchiveSize(compressed, uncompressed, len(manifest["layers"]))
