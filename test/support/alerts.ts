/** Alerts as the engine makes them, for the renderers' and publishers' tests. */
import type { Alert } from '../../lambdas/engine/alerts';

/** The example bastion account and its outbound role. */
export const ALERT_ACCOUNT = '210987654321';
export const ALERT_ROLE = `arn:aws:iam::${ALERT_ACCOUNT}:role/outbound-eu`;

/** Fields of {@link humanAlert} to replace; `evidence` is merged field by field. */
export type AlertOverrides = Partial<Omit<Alert, 'evidence'>> & { evidence?: Partial<Alert['evidence']> };

/**
 * human-principal's alert about alice assuming the outbound role; `i` varies the alertId and the
 * event ID, `targetAccountId` is the account the role is in unless overridden.
 */
export function humanAlert(i = 0, over: AlertOverrides = {}): Alert {
  const { evidence, ...rest } = over;
  return {
    detector: 'human-principal',
    severity: 'high',
    title: 'Human assumed outbound role outbound-eu',
    cause: `IAMUser arn:aws:iam::${ALERT_ACCOUNT}:user/alice assumed ${ALERT_ROLE}: IAM user`,
    runbook: 'Ask the person why they hold customer-facing credentials; revoke the session if unapproved.',
    dedupKey: `human-principal|${ALERT_ROLE}|alice`,
    alertId: `${i.toString(16).padStart(8, '0')}${'ab'.repeat(12)}`,
    occurrences: 1,
    ...rest,
    evidence: {
      eventIds: [`0b1e7c6a-3f0d-4a5e-9c1b-${i.toString().padStart(12, '0')}`],
      eventTimes: ['2024-08-01T10:00:00Z'],
      eventName: 'AssumeRole',
      principalArn: `arn:aws:iam::${ALERT_ACCOUNT}:user/alice`,
      principalType: 'IAMUser',
      roleArn: ALERT_ROLE,
      targetAccountId: ALERT_ACCOUNT,
      sourceIp: '203.0.113.50',
      userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11',
      sessionKey: 'ASIAEXAMPLEKEY000001',
      awsRegion: 'eu-west-1',
      details: { reasons: ['IAM user'], failed: false },
      ...evidence,
    },
  };
}
