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

const app = new App();
let config: AppConfig;
try {
  config = loadAppConfig(app.node.getAllContext() as Record<string, unknown>, {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  });
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  // A configuration mistake is the user's to fix: say what, without a stack trace.
  process.stderr.write(`assumerole-watch: ${e.message}\nSet these in cdk.json's "context" or with -c key=value (README, "Deploy").\n`);
  process.exit(1);
}
for (const warning of config.warnings) process.stderr.write(`assumerole-watch: warning: ${warning}\n`);
buildStacks(app, config);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
