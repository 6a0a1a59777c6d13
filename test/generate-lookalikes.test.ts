/**
 * The benign look-alikes of the default corpus (the bundled examples): each is there, and is the
 * harmless thing it is meant to be. That they raise nothing is test/examples' and
 * test/generate-noise's; this file checks the records, independently of the generator's code.
 */
import { BlockList } from 'node:net';
import { externalIdDigest, generateCorpus, SCENARIO, type CloudTrailRecord, type CorpusSummary } from '../cli/generate';

jest.setTimeout(60_000);

const records: CloudTrailRecord[] = [];
const summary = ((): CorpusSummary => {
  const gen = generateCorpus();
  for (let step = gen.next(); ; step = gen.next()) {
    if (step.done) return step.value;
    records.push(step.value);
  }
})();
const labelled = new Set(summary.labels.flatMap((l) => l.eventIds));
const benign = records.filter((r) => !labelled.has(r.eventID));

const OUTBOUND_EU = SCENARIO.outboundRoleArns['eu-west-1'];
const OUTBOUND_US = SCENARIO.outboundRoleArns['us-east-1'];
const OUTBOUND = [OUTBOUND_EU, OUTBOUND_US];
const identity = (r: CloudTrailRecord): Record<string, any> => r.userIdentity as Record<string, any>;
const issuer = (r: CloudTrailRecord): string => identity(r).sessionContext?.sessionIssuer?.arn ?? '';
const params = (r: CloudTrailRecord): Record<string, any> => (r.requestParameters ?? {}) as Record<string, any>;
/** The account an AssumeRole targets: from its request, or from the error message when a denial nulls it. */
const targetAccount = (r: CloudTrailRecord): string => params(r).roleArn?.split(':')[4] ?? /on resource: arn:aws:iam::(\d{12}):/.exec(r.errorMessage ?? '')?.[1] ?? '';
const isOut = (r: CloudTrailRecord): boolean => r.eventName === 'AssumeRole' && OUTBOUND.includes(issuer(r));
const isInto = (r: CloudTrailRecord): boolean => r.eventName === 'AssumeRole' && OUTBOUND.includes(params(r).roleArn);
const hour = (r: CloudTrailRecord): string => r.eventTime.slice(0, 13);
/** Accounts the outbound roles reach before the incident day: the customers of the first two days. */
const accountsOf = (role: string, rs: readonly CloudTrailRecord[]): Set<string> => new Set(rs.filter((r) => isOut(r) && issuer(r) === role).map(targetAccount));
const registered = new Map(summary.registry.map((l) => [l.accountId, l]));

describe('onboarding a customer', () => {
  const verifierInto = benign.filter((r) => isInto(r) && /^onboarding-verify-/.test(params(r).roleSessionName));
  const verifierKey = (verifierInto[0]?.responseElements as any)?.credentials?.accessKeyId;
  const verifier = benign.filter((r) => identity(r).accessKeyId === verifierKey);
  const account = targetAccount(verifier.find((r) => r.eventName === 'AssumeRole')!);

  it('is a verifier session of the outbound role, opened by the backend from its NAT with its SDK', () => {
    expect(verifierInto).toHaveLength(1);
    expect(issuer(verifierInto[0]!)).toBe(SCENARIO.backendV2RoleArn);
    expect(verifierInto[0]!.userAgent).toMatch(/^aws-sdk-js\/3\./);
    expect(SCENARIO.natGroups[verifierInto[0]!.awsRegion as 'us-east-1'].eips.concat(SCENARIO.movedNat.eip)).toContain(verifierInto[0]!.sourceIPAddress);
  });

  it('is denied a few times while the customer\'s stack is being created, then assumes its role once', () => {
    const tries = verifier.filter((r) => r.eventName === 'AssumeRole');
    expect(tries.map((r) => targetAccount(r))).toEqual(tries.map(() => account));
    expect(tries.map((r) => r.errorCode ?? 'ok')).toEqual(['AccessDenied', 'AccessDenied', 'AccessDenied', 'AccessDenied', 'ok']);
    // Never seen before the verifier: a new account, with a new external ID.
    expect(records.filter((r) => targetAccount(r) === account && r.eventTime < verifier[0]!.eventTime)).toEqual([]);
    expect(registered.get(account)!.externalIdSha256).toEqual([externalIdDigest(params(tries[4]!).externalId)]);
  });

  it('then joins the hourly sync with the backend\'s own sessions', () => {
    const synced = benign.filter((r) => isOut(r) && targetAccount(r) === account && identity(r).accessKeyId !== verifierKey);
    const joined = Date.parse(verifier[verifier.length - 1]!.eventTime);
    const hoursLeft = Math.floor((Date.parse(summary.end) - joined) / 3_600_000);
    expect(new Set(synced.map(hour)).size).toBe(hoursLeft);
    expect(synced.every((r) => !r.errorCode && /^backend-/.test(identity(r).arn.split('/')[2]))).toBe(true);
  });
});

describe('offboarding a customer', () => {
  /** Accounts denied in the regular sync (the verifier's tries aside), with their calls in order. */
  const leaving = new Map<string, CloudTrailRecord[]>();
  for (const r of benign) {
    if (!isOut(r) || !/^backend-/.test(identity(r).arn.split('/')[2])) continue;
    const a = targetAccount(r);
    if (benign.some((x) => isOut(x) && x.errorCode && targetAccount(x) === a && /^backend-/.test(identity(x).arn.split('/')[2]))) (leaving.get(a) ?? leaving.set(a, []).get(a)!).push(r);
  }

  it('leaves the backend denied every hour until it gives up, a day after the role went, and never calls again', () => {
    // The customer whose role was gone before the period, and one leaving in each region.
    expect(leaving.size).toBe(3);
    for (const calls of leaving.values()) {
      const denied = calls.filter((r) => r.errorCode === 'AccessDenied');
      const lastDenied = denied[denied.length - 1]!;
      // Nothing after the last denial: the backend gave up.
      expect(calls[calls.length - 1]).toBe(lastDenied);
      expect(Date.parse(lastDenied.eventTime)).toBeLessThan(Date.parse(summary.end) - 24 * 3_600_000);
      // Denied every hour from the first denial on, for at most a day.
      const hours = new Set(denied.map(hour));
      const span = (Date.parse(lastDenied.eventTime) - Date.parse(denied[0]!.eventTime)) / 3_600_000;
      expect(span).toBeLessThanOrEqual(24);
      expect(hours.size).toBeGreaterThanOrEqual(Math.floor(span));
      // Before its role went, the customer was synced as usual.
      expect(calls.slice(0, calls.indexOf(denied[0]!)).every((r) => !r.errorCode)).toBe(true);
    }
  });

  it('keeps the offboarded customers in the registry', () => {
    for (const account of leaving.keys()) expect(registered.has(account)).toBe(true);
  });
});

describe('the deploy that renames the backend\'s task role and moves a NAT address', () => {
  const intoCalls = benign.filter(isInto);
  const firstV2 = intoCalls.findIndex((r) => issuer(r) === SCENARIO.backendV2RoleArn);

  it('has the old task role assume the outbound roles until the deploy, and the renamed one after', () => {
    expect(firstV2).toBeGreaterThan(0);
    expect(intoCalls.slice(0, firstV2).every((r) => issuer(r) === SCENARIO.backendRoleArn)).toBe(true);
    expect(intoCalls.slice(firstV2).every((r) => issuer(r) === SCENARIO.backendV2RoleArn)).toBe(true);
  });

  it('is CI creating the new role and updating the services, then ECS delivering the new tasks\' credentials', () => {
    const deployAt = intoCalls[firstV2]!.eventTime;
    const created = records.find((r) => r.eventName === 'CreateRole' && params(r).roleName === 'integration-backend-v2')!;
    expect(identity(created).invokedBy).toBe('cloudformation.amazonaws.com');
    expect(identity(created).arn).toBe('arn:aws:sts::210987654321:assumed-role/github-actions-deploy/GitHubActions');
    expect(created.eventTime < deployAt).toBe(true);
    const delivered = records.filter((r) => identity(r).invokedBy === 'ecs-tasks.amazonaws.com' && params(r).roleArn === SCENARIO.backendV2RoleArn);
    expect(delivered[0]!.eventTime <= deployAt).toBe(true);
    expect(delivered[0]!.eventTime > created.eventTime).toBe(true);
  });

  it('moves nat-us\'s first gateway to its new Elastic IP at the deploy, which is in the allow-list', () => {
    const deployAt = intoCalls[firstV2]!.eventTime;
    const [oldEip] = SCENARIO.natGroups['us-east-1'].eips;
    const fromOld = records.filter((r) => r.sourceIPAddress === oldEip);
    const fromNew = records.filter((r) => r.sourceIPAddress === SCENARIO.movedNat.eip);
    expect(fromOld.length).toBeGreaterThan(100);
    expect(fromNew.length).toBeGreaterThan(100);
    expect(fromOld.every((r) => r.eventTime < deployAt)).toBe(true);
    expect(fromNew.every((r) => r.eventTime >= deployAt)).toBe(true);
  });
});

describe('the regional failover', () => {
  const early = records.filter((r) => r.eventTime < '2026-10-06T12');
  const euAccounts = accountsOf(OUTBOUND_EU, early);
  const usAccounts = accountsOf(OUTBOUND_US, early);
  const crossed = benign.filter((r) => isOut(r) && issuer(r) === OUTBOUND_US && euAccounts.has(targetAccount(r)));

  it('has the us workers sync the eu customers for three hours, through outbound-us and its own endpoint', () => {
    const hours = [...new Set(crossed.map(hour))];
    expect(hours).toEqual(['2026-10-06T19', '2026-10-06T20', '2026-10-06T21']);
    expect(crossed.every((r) => r.awsRegion === 'us-east-1' && !usAccounts.has(targetAccount(r)))).toBe(true);
    // Every eu customer still synced: the eu queue runs on the us workers.
    const failedOver = new Set(crossed.filter((r) => hour(r) === '2026-10-06T20').map(targetAccount));
    const euHourBefore = new Set(benign.filter((r) => isOut(r) && hour(r) === '2026-10-06T18' && issuer(r) === OUTBOUND_EU).map(targetAccount));
    expect(failedOver).toEqual(euHourBefore);
  });

  it('has no eu worker call anything meanwhile', () => {
    const hours = new Set(crossed.map(hour));
    expect(records.filter((r) => hours.has(hour(r)) && (issuer(r) === OUTBOUND_EU || params(r).roleArn === OUTBOUND_EU))).toEqual([]);
  });
});

describe('dual-stack tasks', () => {
  const block = SCENARIO.natGroups['us-east-1'].ipv6!;
  const allowed = new BlockList();
  allowed.addSubnet(block.split('/')[0]!, Number(block.split('/')[1]), 'ipv6');
  const v6 = records.filter((r) => r.sourceIPAddress.includes(':') && r.sourceIPAddress !== SCENARIO.officeIpv6);

  it('call STS over IPv6 from the VPC\'s allow-listed block, through the dual-stack endpoint', () => {
    expect(v6.length).toBeGreaterThan(100);
    expect(v6.every((r) => allowed.check(r.sourceIPAddress, 'ipv6'))).toBe(true);
    expect(v6.every((r) => r.eventSource === 'sts.amazonaws.com' && (r.tlsDetails as any).clientProvidedHostHeader === 'sts.us-east-1.api.aws')).toBe(true);
    expect(new Set(v6.map((r) => issuer(r)))).toEqual(new Set([SCENARIO.backendV2RoleArn, OUTBOUND_US]));
  });

  it('are some of the calls, not all: the other task keeps IPv4', () => {
    const usOut = benign.filter((r) => isOut(r) && issuer(r) === OUTBOUND_US && r.eventTime > v6[0]!.eventTime);
    const share = usOut.filter((r) => r.sourceIPAddress.includes(':')).length / usOut.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.8);
  });
});

describe('people and pipelines that never touch the monitored roles', () => {
  it('SSO admins: sessions of AWSReservedSSO_ roles named by the person\'s e-mail, doing admin work and never assuming a role', () => {
    const sso = records.filter((r) => /\/AWSReservedSSO_[A-Za-z]+_[0-9a-f]{16}$/.test(issuer(r)));
    expect(sso.length).toBeGreaterThan(20);
    expect(sso.every((r) => /^[a-z.]+@vendor\.example$/.test(identity(r).arn.split('/')[2]))).toBe(true);
    expect(sso.every((r) => issuer(r).includes(':role/aws-reserved/sso.amazonaws.com/'))).toBe(true);
    expect(sso.some((r) => r.eventName === 'AssumeRole')).toBe(false);
    // Reading a monitored role's trust policy is among the work.
    expect(sso.some((r) => r.eventName === 'GetRole' && /^outbound-/.test(params(r).roleName))).toBe(true);
  });

  it('CI: GitHub Actions\' OIDC token becomes the deploy role, and neither it nor CloudFormation touches a monitored role', () => {
    const oidc = records.filter((r) => r.eventName === 'AssumeRoleWithWebIdentity');
    expect(oidc.length).toBeGreaterThanOrEqual(3);
    for (const r of oidc) {
      expect(identity(r)).toMatchObject({ type: 'WebIdentityUser', userName: `repo:${SCENARIO.ciRepository}:ref:refs/heads/main` });
      expect(params(r).roleArn).toBe('arn:aws:iam::210987654321:role/github-actions-deploy');
      expect((r.responseElements as any).audience).toBe('sts.amazonaws.com');
    }
    const ci = records.filter((r) => issuer(r).endsWith(':role/github-actions-deploy'));
    expect(ci.length).toBeGreaterThan(oidc.length * 4);
    expect(ci.some((r) => /:role\/outbound-|"roleName":"outbound-/.test(JSON.stringify(r.requestParameters)))).toBe(false);
  });
});

describe('the customer registry export', () => {
  it('has one line per customer account, in the contract\'s fields and forms', () => {
    for (const line of summary.registry) {
      expect(Object.keys(line)).toEqual(['tenantId', 'accountId', 'roleArn', 'externalIdSha256']);
      expect(line.tenantId).toMatch(/^t-\d{4,}$/);
      expect(line.accountId).toMatch(/^\d{12}$/);
      expect(line.roleArn).toBe(`arn:aws:iam::${line.accountId}:role/VendorIntegrationRole`);
      expect(line.externalIdSha256.length).toBeGreaterThanOrEqual(1);
      for (const d of line.externalIdSha256) expect(d).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(summary.registry.map((l) => l.accountId)).size).toBe(summary.registry.length);
  });

  it('lists the digest of every external ID the backend sent a customer account, as sent', () => {
    // The lowercase hex SHA-256 of the ID's UTF-8 bytes, computed here with no generator code.
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    for (const r of benign.filter((x) => isOut(x) && !x.errorCode)) {
      const line = registered.get(targetAccount(r));
      expect(line?.externalIdSha256).toContain(createHash('sha256').update(Buffer.from(params(r).externalId, 'utf8')).digest('hex'));
    }
  });

  it('gives a customer with two accounts two lines under one tenant', () => {
    const byTenant = new Map<string, string[]>();
    for (const l of summary.registry) (byTenant.get(l.tenantId) ?? byTenant.set(l.tenantId, []).get(l.tenantId)!).push(l.accountId);
    const multi = [...byTenant.values()].filter((accounts) => accounts.length > 1);
    expect(multi.map((a) => a.length)).toEqual([2, 2]);
    for (const accounts of multi) expect(new Set(accounts.map((a) => registered.get(a)!.externalIdSha256.join())).size).toBe(1);
  });

  it('leaves out the ex-trial account the registry incident reaches', () => {
    const trial = summary.labels.find((l) => l.requires === 'customerRegistry')!;
    const record = records.find((r) => r.eventID === trial.eventIds[0])!;
    expect(registered.has(targetAccount(record))).toBe(false);
  });
});
