"""`python -m cdktf_restate.cli`: the `cdktf-restate` command."""

import sys

from cdktf_restate.cli import main

sys.exit(main())
