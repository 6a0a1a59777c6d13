#!/usr/bin/env node
/**
 * The CDK app (`cdk.json` runs it): reads the context through lib/config.ts, creates the home
 * stack and one forwarder per extra region, and checks everything with cdk-nag's
 * AwsSolutionsChecks (an unacknowledged finding fails synthesis).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStacks } from '../lib/app';
import { ConfigError, loadAppConfig, type AppConfig } from '../lib/config';

/** Where the keys go; the CDK CLI reads context from -c, cdk.json's "context" and cdk.context.json. */
const CONTEXT_HINT = 'Set them with -c key=value, in cdk.json\'s "context", or in cdk.context.json beside it; the example bastion account\'s: cp examples/cdk-context.json cdk.context.json (docs/deploy.md, "Configure").';

const app = new App();
let config: AppConfig;
try {
  config = loadAppConfig(app.node.getAllContext() as Record<string, unknown>, {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  });
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  // A configuration mistake is the user's to fix: say what, without a stack trace. cdk.json
  // holds no deployment of its own, so a bare `cdk synth` lands here naming the required keys.
  process.stderr.write(`assumerole-watch: ${e.message}\n${CONTEXT_HINT}\n`);
  process.exit(1);
}
for (const warning of config.warnings) process.stderr.write(`assumerole-watch: warning: ${warning}\n`);
buildStacks(app, config);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
