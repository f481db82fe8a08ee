"""Constrained value types of the props: AWS ids, ARNs per service and resource type, names,
ports, sizes. Each is a pydantic ``Annotated`` type (strict base type plus one check), so the
schema in ``props.py`` reads as a declaration and pydantic reports every bad field at once.

A check returns ``None`` when the value is fine, or ``(problem, allowed)``. Patterns are full
matches (``re.fullmatch``): a trailing newline never passes. Tokens (values Terraform knows at
plan time) never reach a check: ``schema.model`` lets them through around every field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, PlainValidator
from pydantic_core import PydanticCustomError

#: The error type of a failed check; ``schema.model`` turns it into ``<path>: <problem>...``.
CHECK_ERROR = "restate_check"

Verdict = tuple[str, str] | None


@dataclass(frozen=True)
class Bounds:
    """The range of a numeric type, for the HCL module's validation blocks."""

    minimum: float
    maximum: float
    allowed: str
    exclusive_minimum: bool = False


def bounds_of(annotation: Any) -> Bounds:
    return next(m for m in annotation.__metadata__ if isinstance(m, Bounds))


class Allowed(str):
    """What a field takes, said in its type-error messages too (``1.5 is not an integer``)."""

    __slots__ = ()


def checked(base: Any, check: Callable[[Any], Verdict], allowed: str | None = None) -> Any:
    """``base`` (validated strictly by pydantic) that must also pass ``check``."""

    def run(value: Any) -> Any:
        verdict = check(value)
        if verdict is not None:
            problem, allowed = verdict
            raise PydanticCustomError(
                CHECK_ERROR,
                "{problem}; allowed: {allowed}",
                {"problem": problem, "allowed": allowed},
            )
        return value

    if allowed is not None:
        return Annotated[base, AfterValidator(run), Allowed(allowed)]
    return Annotated[base, AfterValidator(run)]


def converted(base: Any, convert: Callable[[Any], Any]) -> Any:
    """``base`` read by ``convert`` alone (for unions pydantic would report member by member);
    ``convert`` raises ``RestateConfigError`` or returns the value to keep."""

    def run(value: Any) -> Any:
        from cdktf_restate.schema.errors import RestateConfigError

        try:
            return convert(value)
        except RestateConfigError as error:
            raise PydanticCustomError(
                "restate_rules", "invalid", {"problems": list(error.problems)}
            ) from None

    return Annotated[base, PlainValidator(run, json_schema_input_type=base)]


def length_check(most: int, what: str, allowed: str, *, least: int = 0) -> Callable[[Any], Verdict]:
    def check(value: Any) -> Verdict:
        if len(value) < least:
            return "empty list" if not value else f"{len(value)} {what}", allowed
        return None if len(value) <= most else (f"{len(value)} {what}", allowed)

    return check


@dataclass(frozen=True)
class Pattern:
    """A type that is one full-match pattern (RE2-compatible, so the HCL module's validation
    blocks use it as it is) and its message: ``'<value>' is not <what>; allowed: <allowed>``."""

    regex: str
    what: str
    allowed: str


def pattern_type(regex: str, what: str, allowed: str) -> Any:
    """A string matching ``regex`` in full, declared once for Python and HCL."""
    compiled = re.compile(regex)

    def check(value: str) -> Verdict:
        return None if compiled.fullmatch(value) else (f"{value!r} is not {what}", allowed)

    return Annotated[checked(str, check), Pattern(regex, what, allowed)]


def pattern_of(annotation: Any) -> Pattern:
    """The ``Pattern`` of a type made by ``pattern_type``."""
    return next(m for m in annotation.__metadata__ if isinstance(m, Pattern))


def pattern_check(pattern: str, what: str, allowed: str) -> Callable[[str], Verdict]:
    compiled = re.compile(pattern)

    def check(value: str) -> Verdict:
        return None if compiled.fullmatch(value) else (f"{value!r} is not {what}", allowed)

    return check


def int_range(minimum: int, maximum: int) -> Any:
    allowed = f"an integer >= {minimum} and <= {maximum}"

    def check(value: int) -> Verdict:
        return None if minimum <= value <= maximum else (f"{value} is out of range", allowed)

    return Annotated[checked(int, check, allowed), Bounds(minimum, maximum, allowed)]


def number_range(*, above: float, maximum: float, unit: str = "") -> Any:
    """A finite number (int or float) > ``above`` and <= ``maximum``."""
    allowed = f"a number > {above:g} and <= {maximum:g}{unit}"

    def check(value: float) -> Verdict:
        return None if above < value <= maximum else (f"{value:g} is out of range", allowed)

    return Annotated[checked(float, check, allowed), Bounds(above, maximum, allowed, True)]


def int_choice(choices: tuple[int, ...], what: str) -> Any:
    allowed = ", ".join(map(str, choices))

    def check(value: int) -> Verdict:
        return None if value in choices else (f"{value!r} is not {what}", allowed)

    return checked(int, check, allowed)


# ---- AWS partitions, regions, accounts ----------------------------------------------------

PARTITION = r"aws(-[a-z]+)*"
REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
ACCOUNT = r"[0-9]{12}"


def arn_type(service: str, resource: str, what: str, example: str, *, regional: bool = True) -> Any:
    """An ARN of one service and resource type, with partition, region and account."""
    region = REGION if regional else ""
    return pattern_type(f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{resource}", what, example)


IAM_NAME_CHARS = r"[A-Za-z0-9+=,.@_-]"
IamRoleArn = arn_type(
    "iam",
    rf"role/({IAM_NAME_CHARS}+/)*{IAM_NAME_CHARS}{{1,64}}",
    "an IAM role ARN",
    "arn:aws:iam::ACCOUNT:role/[PATH/]NAME (12-digit account, role name of 1-64)",
    regional=False,
)
KMS_KEY_ID = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
KmsKeyArn = arn_type(
    "kms",
    f"key/{KMS_KEY_ID}",
    "a KMS key ARN",
    "arn:aws:kms:REGION:ACCOUNT:key/KEY_ID (a key ARN; not an alias)",
)
_KMS_KEY_REFERENCE = re.compile(
    f"{KMS_KEY_ID}|alias/[A-Za-z0-9/_-]{{1,250}}"
    f"|arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:(key/{KMS_KEY_ID}|alias/[A-Za-z0-9/_-]{{1,250}})"
)
KmsKeyReference = checked(
    str,
    lambda value: (
        None
        if _KMS_KEY_REFERENCE.fullmatch(value)
        and not value.startswith("alias/aws/")
        or value == "alias/aws/ebs"
        else (
            f"{value!r} is not a KMS key id, alias or ARN",
            "a key id, alias/NAME, or arn:aws:kms:REGION:ACCOUNT:key/ID (or alias/NAME)",
        )
    ),
)
SnsTopicArn = arn_type(
    "sns",
    r"[A-Za-z0-9_-]{1,256}([.]fifo)?",
    "an SNS topic ARN",
    "arn:aws:sns:REGION:ACCOUNT:TOPIC (topic name of 1-256 [A-Za-z0-9_-])",
)
NlbArn = arn_type(
    "elasticloadbalancing",
    r"loadbalancer/net/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}",
    "a Network Load Balancer ARN",
    "arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/net/NAME/ID of a Network Load "
    "Balancer",
)
ECS_CLUSTER_ARN_PATTERN = f"arn:{PARTITION}:ecs:{REGION}:{ACCOUNT}:cluster/[A-Za-z0-9_-]{{1,255}}"
ECS_CLUSTER_NAME_PATTERN = "[A-Za-z0-9_-]{1,255}"
ECS_CLUSTER_RULE = (
    "a cluster name (1-255 of [A-Za-z0-9_-]) or arn:aws:ecs:REGION:ACCOUNT:cluster/NAME"
)
_ECS_CLUSTER_ARN = re.compile(ECS_CLUSTER_ARN_PATTERN)
_ECS_CLUSTER_NAME = re.compile(ECS_CLUSTER_NAME_PATTERN)
EcsClusterReference = checked(
    str,
    lambda value: (
        None
        if (_ECS_CLUSTER_ARN if value.startswith("arn:") else _ECS_CLUSTER_NAME).fullmatch(value)
        else (
            f"{value!r} is not an ECS cluster name or ARN",
            ECS_CLUSTER_RULE,
        )
    ),
)


# ---- EC2 ids and zones ------------------------------------------------------------------

#: EC2 resource ids: the prefix and 8 (older resources) or 17 lowercase hex digits.
EC2_ID_HEX = "[0-9a-f]{8}([0-9a-f]{9})?"
EC2_ID_KINDS = {"vpc": "VPC", "subnet": "subnet", "sg": "security group"}


def ec2_id_allowed(prefix: str) -> str:
    return f"{prefix}- and 8 or 17 lowercase hex digits, e.g. {prefix}-0123456789abcdef0"


def ec2_id(prefix: str) -> Any:
    return pattern_type(
        f"{prefix}-{EC2_ID_HEX}", f"a {EC2_ID_KINDS[prefix]} id", ec2_id_allowed(prefix)
    )


VpcId = ec2_id("vpc")
SubnetId = ec2_id("subnet")
SecurityGroupId = ec2_id("sg")

#: us-east-1a; Local Zones (us-west-2-lax-1a); Wavelength Zones (us-east-1-wl1-bos-wlz-1).
AVAILABILITY_ZONE = rf"{REGION}([a-z]|-[a-z]{{3}}-[0-9]+[a-z]|-wl[0-9]-[a-z]+-wlz-[0-9]+)"
AvailabilityZone = checked(
    str,
    lambda value: (
        None
        if re.fullmatch(AVAILABILITY_ZONE, value)
        else (
            f"{value!r} is not an availability zone name"
            + (" (it is a region)" if re.fullmatch(REGION, value) else ""),
            "a zone name such as us-east-1a (region and zone letter)",
        )
    ),
)


def ipv4_cidr(value: str) -> Verdict:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        network = None
    if network is None or network.version != 4 or not value.isascii() or value != value.strip():
        return f"{value!r} is not an IPv4 CIDR block", "a.b.c.d/n with no host bits set"
    return None


Ipv4Cidr = checked(str, ipv4_cidr)


# ---- Names -------------------------------------------------------------------------------

# It prefixes AWS names: load balancer names may not start with "internal-" (nor "-"; "_" becomes
# "-" there), security group names not with "sg-". Derived names are cut at a length and lose a
# trailing "-"/"_": a name ending in one would share them with the name without it.
CLUSTER_NAME_PATTERN = r"^(?!internal[-_]|sg-)[A-Za-z0-9]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$"
CLUSTER_NAME_RULE = (
    "1-64 of [A-Za-z0-9_-], starting and ending with a letter or digit, not starting with "
    "'internal-', 'internal_' or 'sg-'"
)
ClusterName = checked(
    str, pattern_check(CLUSTER_NAME_PATTERN.strip("^$"), "a valid name", CLUSTER_NAME_RULE)
)

BUCKET_RULE = (
    "3-63 of [a-z0-9.-], starting and ending with a letter or digit, no '..', not an IP "
    "address, not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, "
    "--ol-s3, .mrap, --x-s3 or --table-s3"
)
BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name(value: str) -> Verdict:
    """S3's general purpose bucket naming rules."""
    bad = (
        not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value)
        or ".." in value
        or re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", value) is not None
        or value.startswith(BUCKET_PREFIXES)
        or value.endswith(BUCKET_SUFFIXES)
    )
    return (f"{value!r} is not an S3 bucket name", BUCKET_RULE) if bad else None


BucketName = checked(str, bucket_name)

#: Restate writes <prefix>/metadata/... and <prefix>/snapshots/<partition>/<lsn>/...; S3 keys
#: are at most 1024 bytes, so the prefix keeps well under it.
MAX_PREFIX_BYTES = 512
PREFIX_RULE = (
    "letters, digits and !-_.*'()/ with no leading, trailing or double '/', no '.' or '..' "
    f"segment, at most {MAX_PREFIX_BYTES} bytes"
)


def key_prefix(value: str) -> Verdict:
    if value == "":
        return None
    segments = value.split("/")
    bad = (
        not re.fullmatch(r"[A-Za-z0-9!_.*'()/-]+", value)
        or len(value.encode()) > MAX_PREFIX_BYTES
        or any(segment in ("", ".", "..") for segment in segments)
    )
    return (f"{value!r} is not a usable key prefix", PREFIX_RULE) if bad else None


S3KeyPrefix = checked(str, key_prefix)

#: [registry[:port]/]repository[:tag][@sha256:digest], the Docker reference grammar: a first
#: part is a registry when it has a '.' or ':' or is localhost; repository parts are lowercase.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_REGISTRY = rf"({_LABEL}(\.{_LABEL})+(:[0-9]{{1,5}})?|{_LABEL}:[0-9]{{1,5}}|localhost)"
_COMPONENT = r"[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*"
_IMAGE_REFERENCE = re.compile(
    rf"({_REGISTRY}/)?{_COMPONENT}(/{_COMPONENT})*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?"
)
IMAGE_RULE = (
    "registry/repository:tag or @sha256:digest, no whitespace, a lowercase repository "
    "(e.g. docker.restate.dev/restatedev/restate:1.7.12)"
)


def image_reference(value: str) -> Verdict:
    if len(value) > 255 or _IMAGE_REFERENCE.fullmatch(value) is None:
        return f"{value!r} is not an image reference", IMAGE_RULE
    return None


ImageReference = checked(str, image_reference)

ENV_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
EnvironmentName = checked(
    str,
    pattern_check(ENV_NAME_PATTERN, "an environment variable name", "[A-Za-z_][A-Za-z0-9_]*"),
)
EnvironmentValue = checked(
    str,
    lambda value: (
        None
        if "\x00" not in value and len(value.encode()) <= 32768
        else (f"{value[:40]!r}... is not an environment value", "a string without NUL, <= 32 KiB")
    ),
)

# AWS tags (ECS, IAM, Lambda, Logs, ELB): letters, digits, spaces and _ . : / = + - @. The
# stateful tasks carry up to 11 restate:* tags of the cluster and controller besides the user's.
TAG_CHARACTERS = "characters of letters, digits, spaces and _ . : / = + - @"
# \w: letters, digits, _ ; then the Unicode space separators (\p{Z}), not tabs or newlines.
TAG_TEXT = re.compile(r"[\w.:/=+\-@ \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")
TAG_KEY_RULE = f"1-128 {TAG_CHARACTERS}, not starting with 'aws:' (in any case)"
TAG_VALUE_RULE = f"0-256 {TAG_CHARACTERS}"
TagKey = checked(
    str,
    lambda value: (
        None
        if 1 <= len(value) <= 128
        and TAG_TEXT.fullmatch(value)
        and not value.casefold().startswith("aws:")
        else ("invalid tag key", TAG_KEY_RULE)
    ),
)
TagValue = checked(
    str,
    lambda value: (
        None
        if len(value) <= 256 and TAG_TEXT.fullmatch(value)
        else ("invalid tag value", TAG_VALUE_RULE)
    ),
)

URL_RULE = "http://host[:port][/path] or https://..., a port of 1-65535, no whitespace"
_URL = re.compile(
    r"https?://(?P<host>[^\s/:?#@\[\]]+|\[[0-9A-Fa-f:.]+\])(:(?P<port>[0-9]{1,5}))?([/?#]\S*)?"
)


def http_url(value: str) -> Verdict:
    match = _URL.fullmatch(value)
    if match is None or not match.group("host").strip("."):
        return f"{value!r} is not a URL", URL_RULE
    port = match.group("port")
    if port is not None and not 1 <= int(port) <= 65535:
        return f"{value!r} has port {port}", URL_RULE
    return None


HttpUrl = checked(str, http_url)

_VERSION = re.compile(r"v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.-]+)?")
RestateVersionText = checked(
    str,
    lambda value: (
        None
        if _VERSION.fullmatch(value)
        else (f"unparseable Restate version {value!r}", "1.7 or 1.7.<patch>")
    ),
)
LicenseKey = checked(
    str,
    lambda value: (
        None
        if value.isprintable() and len(value) <= 4096
        else ("not a license key", "printable text (the open controller ignores it)")
    ),
)

# ---- Choices -------------------------------------------------------------------------------

CpuArchitecture = Literal["ARM64", "X86_64"]
#: What Fargate supports (json-file, syslog, journald, gelf and fluentd are EC2-only).
LogDriver = Literal["awslogs", "splunk", "awsfirelens"]
ContainerInsights = Literal["enhanced", "enabled", "disabled"]
#: What ECS can attach to a Fargate task ("standard", magnetic, is not supported on Fargate).
EbsVolumeType = Literal["gp2", "gp3", "io1", "io2", "st1", "sc1"]
SharedNlbPort = Literal["ingress", "admin"]
