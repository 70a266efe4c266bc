// `cml` for the workflow tests (the npm stand-in beside it installs this): the real CML command line (the release in $CML_PACKAGE), whose
// own parser checks every command, option and value as in production (yargs, strict), with
// one change: `cml runner launch`'s handler records what it was asked instead of starting a
// machine through Terraform. Like a launch, it leaves an EC2 instance running, tagged with
// --cloud-metadata, in the AWS the test serves (AWS_ENDPOINT_URL_EC2), for teardown to find;
// CML_LAUNCH_MACHINE=gone makes it one that already stopped by itself.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const cmlPackage = process.env.CML_PACKAGE;
const launch = require(path.join(cmlPackage, 'bin/cml/runner/launch.js'));

const REGIONS = { 'us-east': 'us-east-1', 'us-west': 'us-west-1', 'eu-west': 'eu-west-1', 'eu-north': 'eu-north-1' };

function aws(...args) {
  const result = spawnSync('aws', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`aws ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

launch.handler = async (opts) => {
  const record = {
    argv: process.argv.slice(2),
    cloud: opts.cloud,
    region: opts.cloudRegion,
    type: opts.cloudType,
    gpu: opts.cloudGpu === undefined ? null : opts.cloudGpu,
    spot: Boolean(opts.cloudSpot),
    hddSize: opts.cloudHddSize,
    labels: opts.labels,
    metadata: opts.cloudMetadata,
    single: Boolean(opts.single),
    idleTimeout: opts.idleTimeout,
    startupScript: opts.cloudStartupScript === undefined ? null : opts.cloudStartupScript,
    instance: null
  };
  if (opts.cloud === 'aws' && process.env.AWS_ENDPOINT_URL_EC2) {
    const region = REGIONS[opts.cloudRegion] || opts.cloudRegion;
    const tags = Object.entries(opts.cloudMetadata).map(([key, value]) => `{Key=${key},Value=${value}}`);
    record.instance = aws(
      'ec2', 'run-instances', '--region', region, '--image-id', 'ami-0123456789abcdef0',
      '--instance-type', 't3.micro', '--query', 'Instances[0].InstanceId', '--output', 'text',
      '--tag-specifications', `ResourceType=instance,Tags=[${tags.join(',')}]`
    );
    if (process.env.CML_LAUNCH_MACHINE === 'gone')
      aws('ec2', 'terminate-instances', '--region', region, '--instance-ids', record.instance);
  }
  fs.appendFileSync(process.env.CML_LAUNCH_LOG, JSON.stringify(record) + '\n');
  console.log(`runner launch recorded: ${JSON.stringify(record)}`);
};

require(path.join(cmlPackage, 'bin/cml.js'));
