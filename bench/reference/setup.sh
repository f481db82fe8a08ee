#!/usr/bin/env bash
# Installs the reference product (@restatedev/byoc) and its CDK peers into
# bench/reference/node_modules, for `bench/synth.py` to time side by side with ours, plus
# TypeScript and ts-node, which run app.ts the way a TypeScript CDK app runs, and the CDK CLI
# (`cdk synth`; cdk.json runs app.ts), for a user-level figure next to the verdict.
# Versions are pinned in package.json; no lock file is written (node_modules is git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-package-lock --no-audit --no-fund --loglevel=error
node -e 'require("@restatedev/byoc"); require("aws-cdk-lib"); require("typescript"); require("ts-node"); require.resolve("aws-cdk/bin/cdk")'
# The TypeScript app must run through ts-node and write its template (the path synth.py times).
outdir="$(mktemp -d)"
trap 'rm -rf "$outdir"' EXIT
node node_modules/ts-node/dist/bin.js --transpile-only app.ts "$outdir" >/dev/null
test -f "$outdir/minimal.template.json"
# And through the CDK CLI (a user-level figure), offline: no notices, no telemetry, and a region
# so that the AWS SDK does not probe the EC2 metadata address.
CDK_DISABLE_CLI_TELEMETRY=true AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  node node_modules/aws-cdk/bin/cdk synth --quiet --no-notices --no-version-reporting \
  -o "$outdir/cli" >/dev/null || { echo "bench/reference: cdk synth failed" >&2; exit 1; }
test -f "$outdir/cli/minimal.template.json"
echo "bench/reference: installed (app.ts runs under ts-node and under cdk synth)"
