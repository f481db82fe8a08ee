#!/usr/bin/env bash
# Installs everything this project needs into the checkout itself, idempotently:
#   .venv/            Python 3.11 venv with the package (editable) and dev tools
#   node_modules/     real restate-server / restatectl binaries for this machine (npm)
#   .cache/npm/       restatectl for the other Lambda architecture than this CPU's (both are packaged)
#   .cache/terraformrc  Terraform CLI config pointing at the local provider mirror
#   buildah, mmdebstrap (apt-get, as root, when missing) for `cdktf-restate image build`
#   chromium (apt-get, as root, when missing) for the dashboard tests' headless screenshots
# Overrides: PYTHON (interpreter), CDKTF_RESTATE_PROVIDER_MIRROR (folder holding
# registry.terraform.io/hashicorp/aws/5.100.0/...).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
restate_version="1.7.12"
mkdir -p .cache

# --- Python -----------------------------------------------------------------
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
stamp=".cache/pip.stamp"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2> >(grep -v "^WARNING: Location" >&2)
  touch "$stamp"
fi
# Byte-compile our own sources: an installed wheel ships them compiled, but this editable
# install is not, and PYTHONDONTWRITEBYTECODE=1 (set on these machines) stops Python from
# caching them, so every synth would recompile ~25 modules (~40 ms). Stale files are ignored
# by Python (it checks the source's mtime and size) and rewritten here on the next set-up.
.venv/bin/python -m compileall -q cdktf_restate controller_image examples bench >/dev/null

# --- Restate binaries (npm) -------------------------------------------------
if [ ! -x node_modules/@restatedev/restate-server-linux-x64/bin/restate-server ] \
  && [ ! -x node_modules/@restatedev/restate-server-linux-arm64/bin/restate-server ]; then
  npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
fi
# restatectl for both Lambda architectures: npm installed this CPU's; fetch the other one.
for arch in arm64 x64; do
  [ -x "node_modules/@restatedev/restatectl-linux-${arch}/bin/restatectl" ] && continue
  arch_dir=".cache/npm/restatectl-linux-${arch}"
  if [ ! -x "$arch_dir/bin/restatectl" ]; then
    mkdir -p .cache/npm "$arch_dir"
    (cd .cache/npm && npm pack --silent "@restatedev/restatectl-linux-${arch}@${restate_version}" >/dev/null)
    tar -xzf ".cache/npm/restatedev-restatectl-linux-${arch}-${restate_version}.tgz" -C "$arch_dir" --strip-components=1
    chmod +x "$arch_dir/bin/restatectl"
  fi
done

# --- Controller image tools (buildah, mmdebstrap) -----------------------------
# `cdktf-restate image build` and its tests build the controller image with them. Installed
# from Debian packages when missing and running as root; nothing is done when both are present.
if ! command -v buildah >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah mmdebstrap >/dev/null
  else
    echo "setup: buildah and mmdebstrap are missing (cdktf-restate image build needs them);" \
         "install them as root: apt-get install buildah mmdebstrap" >&2
  fi
fi

# --- Terraform CLI config ----------------------------------------------------
if ! command -v terraform >/dev/null 2>&1; then
  echo "setup: terraform is not on PATH; install Terraform >= 1.5 (this project is tested with 1.11.4)" >&2
  exit 1
fi
mirror="${CDKTF_RESTATE_PROVIDER_MIRROR:-}"
if [ -z "$mirror" ]; then
  for candidate in "$HOME/.terraform.d/plugins" /opt/tf-plugins /usr/share/terraform/plugins \
      /usr/local/share/terraform/plugins; do
    if [ -d "$candidate/registry.terraform.io/hashicorp/aws/5.100.0" ]; then mirror="$candidate"; break; fi
  done
fi
if [ -z "$mirror" ]; then
  found=$(find / -xdev -type f -name 'terraform-provider-aws_v5.100.0*' -path '*registry.terraform.io/hashicorp/aws/5.100.0/*' 2>/dev/null | head -n 1 || true)
  [ -n "$found" ] && mirror="${found%/registry.terraform.io/*}"
fi
if [ -z "$mirror" ] || [ ! -d "$mirror/registry.terraform.io/hashicorp/aws/5.100.0" ]; then
  echo "setup: no Terraform provider mirror with hashicorp/aws 5.100.0 found;" \
       "set CDKTF_RESTATE_PROVIDER_MIRROR to the folder holding registry.terraform.io/" >&2
  exit 1
fi
cat > .cache/terraformrc <<RC
# Written by scripts/setup.sh: providers come only from the local mirror.
provider_installation {
  filesystem_mirror {
    path    = "${mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
RC
# --- Headless Chromium (the dashboard tests open the Control Panel in a real browser) -------
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
  && [ -z "${CDKTF_RESTATE_CHROMIUM:-}" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null
  else
    echo "setup: no chromium; the dashboard screenshot tests need it" \
         "(apt-get install chromium, or set CDKTF_RESTATE_CHROMIUM)" >&2
  fi
fi
echo "setup: ok (venv .venv, restate ${restate_version}, provider mirror ${mirror})" >&2
