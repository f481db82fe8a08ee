// The reference product's default cluster, for bench/synth.py to time side by side with ours.
//
// Builds what examples/minimal builds, in the reference's terms: a VPC in us-east-1 over three
// zones with one private subnet per zone and a single NAT gateway, VPC flow logs to CloudWatch,
// and @restatedev/byoc's RestateEcsFargateCluster with every prop at its default (the
// license key is required by its API; the value is never used at synth time). Then synthesizes
// the CloudFormation template into the directory given as the first argument (a new temporary
// directory if none) and prints one JSON line: when the files were written and the peak RSS.
//
// Usage: node bench/reference/app.js [outdir]

"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const cdk = require("aws-cdk-lib");
const { RestateEcsFargateCluster } = require("@restatedev/byoc");

const STACK_NAME = "minimal";
const REGION = "us-east-1";
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

function buildStack(app) {
  // An explicit region and zone list: an environment-agnostic stack would get only two zones,
  // and a zone lookup would need AWS credentials.
  const stack = new cdk.Stack(app, STACK_NAME, { env: { region: REGION } });
  const vpc = new cdk.aws_ec2.Vpc(stack, "vpc", {
    ipAddresses: cdk.aws_ec2.IpAddresses.cidr("10.0.0.0/16"),
    availabilityZones: ZONES,
    natGateways: 1,
    subnetConfiguration: [
      { name: "public", subnetType: cdk.aws_ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: "private", subnetType: cdk.aws_ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
    flowLogs: { all: {} },
  });
  new RestateEcsFargateCluster(stack, "restate", {
    licenseKey: "bench-placeholder-license",
    vpc,
  });
  return stack;
}

function main() {
  // Under `cdk synth` the CDK CLI names the output directory in CDK_OUTDIR.
  const outdir =
    process.argv[2] || process.env.CDK_OUTDIR || fs.mkdtempSync(path.join(os.tmpdir(), "byoc-synth-"));
  const app = new cdk.App({ outdir });
  buildStack(app);
  app.synth();
  const written = Date.now() / 1000;
  const template = path.join(outdir, `${STACK_NAME}.template.json`);
  if (!fs.existsSync(template)) {
    throw new Error(`synth wrote no ${template}`);
  }
  process.stdout.write(
    JSON.stringify({
      written,
      template,
      // resourceUsage().maxRSS is in KiB, like /proc's VmHWM.
      node_peak_kib: process.resourceUsage().maxRSS,
    }) + "\n",
  );
}

main();
