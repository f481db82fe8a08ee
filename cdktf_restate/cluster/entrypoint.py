"""The POSIX sh entrypoint both Restate task definitions start with.

On Fargate every task is a new node, so identity comes from the ECS task metadata
endpoint (v4) at start: node name = task ARN (never reused with an empty disk),
location = ``<region>.<zone>``, advertised address = ``http://<task IPv4>:5122``, and
RocksDB memory = 75% of the container memory limit (unless set in the environment).
It writes no files (the root filesystem is read-only) and needs only sh, curl and jq,
which the Restate image ships.
"""

from __future__ import annotations

ROCKSDB_MEMORY_PERCENT = 75

ENTRYPOINT_SCRIPT = r"""set -eu
metadata="${ECS_CONTAINER_METADATA_URI_V4:?is not set: this entrypoint runs on ECS only}"
fetch() { curl --fail --silent --show-error --retry 5 --retry-delay 1 --retry-connrefused "$1"; }
task="$(fetch "$metadata/task")"
container="$(fetch "$metadata")"
task_arn="$(printf '%s' "$task" | jq -er '.TaskARN')"
zone="$(printf '%s' "$task" | jq -er '.AvailabilityZone')"
ip="$(printf '%s' "$container" | jq -er '.Networks[0].IPv4Addresses[0]')"
memory_mib="$(printf '%s' "$container" | jq -er '.Limits.Memory // empty' || printf '%s' "$task" | jq -er '.Limits.Memory')"
region="${AWS_REGION:-$(printf '%s' "$task_arn" | cut -d: -f4)}"
export RESTATE_NODE_NAME="$task_arn"
export RESTATE_LOCATION="$region.$zone"
export RESTATE_ADVERTISED_ADDRESS="http://$ip:5122"
export RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE="${RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE:-$((memory_mib * __PERCENT__ / 100))MiB}"
exec restate-server "$@"
""".replace("__PERCENT__", str(ROCKSDB_MEMORY_PERCENT))

#: ECS ``entryPoint`` and ``command`` of the Restate container.
ENTRYPOINT = ["/bin/sh", "-c"]
COMMAND = [ENTRYPOINT_SCRIPT]
