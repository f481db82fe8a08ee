"""cdktf tokens among prop values: unresolved values that Terraform checks at plan time."""

from __future__ import annotations

import functools
import math
from typing import Any

import cdktf

from cdktf_restate._tf import contains_plain_reference

#: Every cdktf string/list token contains this marker; values without it need no jsii call.
TOKEN_MARKER = "TfToken["
#: A whole list that is one token (``Token.as_list``) is a one-element list of this form.
TOKEN_LIST_MARKER = "#{TfToken["


@functools.lru_cache(maxsize=4096)
def _string_is_token(value: str) -> bool:
    """A token string stays one for the process: each is asked of cdktf once."""
    return bool(cdktf.Token.is_unresolved(value))


def is_token(value: Any) -> bool:
    """True for unresolved cdktf tokens (strings, numbers, lists, IResolvables), which are
    checked later.

    Plain strings without the marker and plain ints are answered in Python (no round trip
    to the jsii process, which keeps synthesis fast); everything else asks cdktf. A reference
    handed out as text while the construct builds (``_tf.plain_references``) is a token too.
    """
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        if TOKEN_MARKER in value and _string_is_token(value):
            return True
        return "${" in value and contains_plain_reference(value)
    if isinstance(value, int):
        return False  # number tokens are floats
    if isinstance(value, float):
        # Number tokens are finite; NaN/infinity have no JSON form for the jsii process.
        return math.isfinite(value) and bool(cdktf.Token.is_unresolved(value))
    if isinstance(value, list):
        # A list of references is a list (checked item by item), not a list token: only a
        # whole-list token (``Token.as_list``, the generated module's variables) is one.
        if any(isinstance(v, str) and TOKEN_MARKER in v for v in value):
            return bool(cdktf.Token.is_unresolved(value))
        return any(is_token(v) for v in value if not isinstance(v, str))
    if hasattr(value, "__jsii_ref__"):
        # A jsii object where a value belongs: an IResolvable such as a TerraformVariable's
        # boolean_value (booleans have no string encoding in cdktf).
        return bool(cdktf.Tokenization.is_resolvable(value))
    return False
