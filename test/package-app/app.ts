import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { AlertSeverity, AssumeRoleWatch } from 'assumerole-watch';

class SecurityStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    new AssumeRoleWatch(this, 'Watch', {
      // The detection keys, as in cdk.json's context: checked here, naming any bad one.
      detection: {
        monitoredRoleArns: ['arn:aws:iam::111122223333:role/outbound-*'],
        expectedCallerArns: ['arn:aws:iam::111122223333:role/integration-backend'],
        allowedCidrs: { nat: ['203.0.113.10/32'] },
      },
      alertEmails: [{ email: 'soc@example.com', minSeverity: AlertSeverity.HIGH }],
      opsEmails: ['cloud-ops@example.com'],
    });
  }
}

const app = new App();
new SecurityStack(app, 'Security', { env: { account: '111122223333', region: 'eu-west-1' } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
