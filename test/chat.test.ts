import { attackMapping } from '../lambdas/core/attack';
import { quoted } from '../lambdas/core/text';
import { toChatNotification } from '../lambdas/delivery/chat';
import type { Alert } from '../lambdas/engine/alerts';

const ROLE = 'arn:aws:iam::210987654321:role/outbound-eu';

/** An alert as source-ip makes one; `session` is the attacker-chosen session name. */
function alert(session = 'integration-backend', over: Partial<Alert> = {}): Alert {
  return {
    detector: 'source-ip',
    severity: 'high',
    title: `AssumeRole of ${ROLE} from outside the egress list, session ${quoted(session)}`,
    cause: `${quoted(session)} called from 198.51.100.7, in no allowed CIDR`,
    runbook: 'Confirm the address is not a new egress address of yours. If it is not, revoke the session (aws iam put-role-policy with a DateLessThan deny). Rotate the backend credentials.',
    dedupKey: `source-ip|${ROLE}|198.51.100.0/24`,
    alertId: '0123456789abcdef0123456789abcdef',
    occurrences: 1,
    attack: [attackMapping({ tactic: 'TA0001', technique: 'T1078.004' })],
    evidence: {
      eventIds: ['0b1e7c6a-3f0d-4a5e-9c1b-000000000001'],
      eventTimes: ['2026-10-07T10:00:00Z'],
      eventName: 'AssumeRole',
      principalArn: `arn:aws:sts::210987654321:assumed-role/integration-backend/${session}`,
      principalType: 'AssumedRole',
      roleArn: ROLE,
      targetAccountId: '111122223333',
      sourceIp: '198.51.100.7',
      sessionKey: 'ASIAEXAMPLEKEY000001',
      userAgent: 'aws-sdk-js/3.600.0',
      awsRegion: 'eu-west-1',
      details: {},
    },
    ...over,
  } as Alert;
}

describe('the chat notification', () => {
  it('is a custom notification of the chat integration: version 1.0, source custom, the alertId as id and thread', () => {
    const n = toChatNotification(alert());
    expect(n.version).toBe('1.0');
    expect(n.source).toBe('custom');
    expect(n.id).toBe('0123456789abcdef0123456789abcdef');
    expect(n.metadata.threadId).toBe(n.id);
    expect(n.content.textType).toBe('client-markdown');
    expect(n.metadata.additionalContext).toEqual({ alertId: n.id, detector: 'source-ip', severity: 'high' });
  });

  it('leads with the severity and detector, and lists who, what, from where, when and the ATT&CK technique', () => {
    const n = toChatNotification(alert());
    expect(n.content.title).toMatch(/^:rotating_light: HIGH source-ip: AssumeRole of arn:aws:iam::210987654321:role\/outbound-eu/);
    const d = n.content.description;
    expect(d).toContain('*Who:* `arn:aws:sts::210987654321:assumed-role/integration-backend/integration-backend`');
    expect(d).toContain('*What:* `AssumeRole` `arn:aws:iam::210987654321:role/outbound-eu` in account `111122223333`');
    expect(d).toContain('*From:* `198.51.100.7` in `eu-west-1`');
    expect(d).toContain('*ATT&CK:* T1078.004 Valid Accounts: Cloud Accounts (Initial Access, TA0001)');
    expect(d).toContain('https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events/0b1e7c6a-3f0d-4a5e-9c1b-000000000001');
    expect(n.content.keywords).toEqual(['source-ip', 'high', 'T1078.004']);
  });

  it('gives the runbook as next steps, one per sentence', () => {
    expect(toChatNotification(alert()).content.nextSteps).toEqual([
      'Confirm the address is not a new egress address of yours.',
      'If it is not, revoke the session (aws iam put-role-policy with a DateLessThan deny).',
      'Rotate the backend credentials.',
    ]);
  });

  it.each([
    ['a broadcast', '<!channel> urgent'],
    ['a link', '<https://evil.example|click here>'],
    ['a code span closing early', 'x` *bold* `y'],
    ['a line of its own', 'ok\n*Severity:* LOW'],
    ['a bidi override', 'abc\u202edcba'],
  ])('never lets a session name make %s', (_what, session) => {
    // Given a session name chosen to be read as markup
    const n = toChatNotification(alert(session));
    const text = [n.content.title, n.content.description, ...n.content.nextSteps].join('\n');
    // Then no mention, link, raw line break of theirs, bidi control or code-span break gets through
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://');
    expect(text).not.toContain('\u202e');
    expect(text).not.toMatch(/\n\*Severity:\*/);
    for (const line of n.content.description.split('\n')) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
  });

  it('stays short for a very long session name and user agent', () => {
    const n = toChatNotification(alert('s'.repeat(64), { evidence: { ...alert().evidence, userAgent: 'u'.repeat(100_000), principalArn: `arn:aws:sts::210987654321:assumed-role/x/${'p'.repeat(50_000)}` } }));
    expect(n.content.title.length).toBeLessThanOrEqual(300);
    expect(n.content.description.length).toBeLessThanOrEqual(3_000);
    expect(Buffer.byteLength(JSON.stringify(n))).toBeLessThan(16_000);
  });
});
