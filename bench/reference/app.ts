// The reference product's default cluster in TypeScript, the way a CDK app using
// @restatedev/byoc is written and run (by ts-node); bench/synth.py times it side by side with ours.
//
// The same app as app.js: a VPC in us-east-1 over three zones with one private subnet per zone and
// a single NAT gateway, VPC flow logs to CloudWatch, and RestateEcsFargateCluster with every prop
// at its default (the license key is required by its API; the value is never used at synth
// time). Synthesizes the CloudFormation template into the directory given as the first argument
// (a new temporary directory if none) and prints one JSON line: when the files were written and
// the peak RSS.
//
// Usage: node node_modules/ts-node/dist/bin.js [--transpile-only] app.ts [outdir]
//    or: node node_modules/aws-cdk/bin/cdk synth --quiet -o OUTDIR   (cdk.json runs this file)

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { RestateEcsFargateCluster, type RestateClusterProps } from "@restatedev/byoc";
import { App, Stack, aws_ec2 as ec2 } from "aws-cdk-lib";

const STACK_NAME = "minimal";
const REGION = "us-east-1";
const ZONES: readonly string[] = ["us-east-1a", "us-east-1b", "us-east-1c"];

interface SynthReport {
  written: number;
  template: string;
  node_peak_kib: number;
}

function buildStack(app: App): Stack {
  // An explicit region and zone list: an environment-agnostic stack would get only two zones,
  // and a zone lookup would need AWS credentials.
  const stack = new Stack(app, STACK_NAME, { env: { region: REGION } });
  const vpc = new ec2.Vpc(stack, "vpc", {
    ipAddresses: ec2.IpAddresses.cidr("10.0.0.0/16"),
    availabilityZones: [...ZONES],
    natGateways: 1,
    subnetConfiguration: [
      { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
    flowLogs: { all: {} },
  });
  const props: RestateClusterProps = { licenseKey: "bench-placeholder-license", vpc };
  new RestateEcsFargateCluster(stack, "restate", props);
  return stack;
}

function main(): void {
  // Under `cdk synth` the CDK CLI names the output directory in CDK_OUTDIR.
  const outdir =
    process.argv[2] || process.env.CDK_OUTDIR || fs.mkdtempSync(path.join(os.tmpdir(), "byoc-synth-"));
  const app = new App({ outdir });
  buildStack(app);
  app.synth();
  const written = Date.now() / 1000;
  const template = path.join(outdir, `${STACK_NAME}.template.json`);
  if (!fs.existsSync(template)) {
    throw new Error(`synth wrote no ${template}`);
  }
  const report: SynthReport = {
    written,
    template,
    // resourceUsage().maxRSS is in KiB, like /proc's VmHWM.
    node_peak_kib: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
}

main();
