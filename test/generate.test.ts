import { promises as fs, readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  externalIdDigest,
  generateCorpus,
  INCIDENTS,
  main,
  parseArgs,
  scenarioConfig,
  writeCorpus,
  SCENARIO,
  type CloudTrailRecord,
  type CorpusSummary,
  type IncidentLabel,
  type RegistryLine,
  type WriteSummary,
} from '../cli/generate';

jest.setTimeout(60_000);

const ACCOUNT = '210987654321';
/** The S3 layout CloudTrail delivers, written independently of the generator's own pattern. */
const LAYOUT =
  /^AWSLogs\/(\d{12})\/CloudTrail\/(eu-west-1|us-east-1)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_(eu-west-1|us-east-1)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const EXPIRATION = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} (AM|PM)$/;
const OUTBOUND = Object.values(SCENARIO.outboundRoleArns) as string[];
const REGION_OF_ROLE: Record<string, string> = { [SCENARIO.outboundRoleArns['eu-west-1']]: 'eu-west-1', [SCENARIO.outboundRoleArns['us-east-1']]: 'us-east-1' };

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out.sort();
}

const rel = (root: string, file: string): string => path.relative(root, file).split(path.sep).join('/');

interface Corpus {
  dir: string;
  summary: WriteSummary;
  files: string[];
  /** Records per log file, in file order. */
  byFile: Map<string, CloudTrailRecord[]>;
  records: CloudTrailRecord[];
  labels: IncidentLabel[];
  registry: RegistryLine[];
}

async function load(dir: string, summary: WriteSummary): Promise<Corpus> {
  const files = await walk(dir);
  const byFile = new Map<string, CloudTrailRecord[]>();
  const records: CloudTrailRecord[] = [];
  for (const f of files) {
    if (!f.endsWith('.json.gz')) continue;
    const doc = JSON.parse(gunzipSync(await fs.readFile(f)).toString('utf8')) as { Records: CloudTrailRecord[] };
    byFile.set(rel(dir, f), doc.Records);
    records.push(...doc.Records);
  }
  const labels = JSON.parse(await fs.readFile(path.join(dir, 'labels.json'), 'utf8')) as IncidentLabel[];
  const registry = (await fs.readFile(path.join(dir, 'customer-registry.jsonl'), 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as RegistryLine);
  return { dir, summary, files: files.map((f) => rel(dir, f)), byFile, records, labels, registry };
}

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'arw-generate-'));
  tmpDirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of tmpDirs) await fs.rm(d, { recursive: true, force: true });
});

function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
  const bits = Number(bitsText);
  const size = 2 ** (32 - bits);
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base!) / size);
}

/** Whether an IPv6 address is in a CIDR (Node's own matcher, independent of the engine's). */
function ipv6InCidr(ip: string, cidr: string): boolean {
  if (!ip.includes(':')) return false;
  const list = new BlockList();
  const [base, bits] = cidr.split('/');
  list.addSubnet(base!, Number(bits), 'ipv6');
  return list.check(ip, 'ipv6');
}

/** A region's NAT addresses: its gateways' Elastic IPs, the one the deploy moved a gateway to. */
const natOf = (region: string): readonly string[] => [
  ...SCENARIO.natGroups[region as 'eu-west-1' | 'us-east-1'].eips,
  ...(SCENARIO.movedNat.region === region ? [SCENARIO.movedNat.eip] : []),
];
/** Whether an address is the region's NAT or, in a dual-stack VPC, one of its tasks' IPv6 addresses. */
const fromVendor = (ip: string, region: string): boolean => {
  const block = SCENARIO.natGroups[region as 'eu-west-1' | 'us-east-1'].ipv6;
  return natOf(region).includes(ip) || (block !== null && ipv6InCidr(ip, block));
};
const identity = (r: CloudTrailRecord): Record<string, any> => r.userIdentity as Record<string, any>;
const issuer = (r: CloudTrailRecord): string | undefined => identity(r).sessionContext?.sessionIssuer?.arn;
const params = (r: CloudTrailRecord): Record<string, any> | null => r.requestParameters as Record<string, any> | null;

let main1: Corpus;

beforeAll(async () => {
  const dir = await tmp();
  main1 = await load(dir, await writeCorpus(dir));
});

describe('determinism', () => {
  it('writes byte-identical trees for the same options', async () => {
    const dir = await tmp();
    await writeCorpus(dir);
    const other = (await walk(dir)).map((f) => rel(dir, f));
    expect(other).toEqual(main1.files);
    for (const f of main1.files) {
      const a = await fs.readFile(path.join(main1.dir, f));
      const b = await fs.readFile(path.join(dir, f));
      expect(a.equals(b)).toBe(true);
    }
  });

  it('reproduces the bundled examples/ with the default options (npm run examples)', async () => {
    const examples = path.join(__dirname, '..', 'examples');
    // cdk-context.json is written by hand (the example account's deployment keys, which the
    // generator does not know) and survives a regeneration, as any file not of the generator's does.
    const files = (await walk(examples)).map((f) => rel(examples, f)).filter((f) => f !== 'cdk-context.json');
    expect(files).toEqual(main1.files);
    for (const f of files) {
      const [ours, bundled] = await Promise.all([fs.readFile(path.join(main1.dir, f)), fs.readFile(path.join(examples, f))]);
      // The JSON inside, not the gzip bytes, which may differ with another zlib.
      const text = (b: Buffer): string => (f.endsWith('.gz') ? gunzipSync(b) : b).toString('utf8');
      expect(text(ours) === text(bundled)).toBe(true);
    }
  });

  it('differs with another seed', () => {
    const a = generateCorpus({ seed: 1, days: 1 }).next().value as CloudTrailRecord;
    const b = generateCorpus({ seed: 2, days: 1 }).next().value as CloudTrailRecord;
    expect(a.eventID).not.toBe(b.eventID);
  });

  it('rewriting into the same directory replaces the previous log files', async () => {
    const dir = await tmp();
    await writeCorpus(dir, { days: 1, seed: 7 });
    const keep = path.join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', 'README.txt');
    await fs.writeFile(keep, 'not ours');
    await writeCorpus(dir, { days: 1, seed: 8 });
    const files = (await walk(dir)).map((f) => rel(dir, f));
    const logs = files.filter((f) => f.endsWith('.json.gz'));
    const fresh = new Set(logs);
    // Only seed 8's files remain, plus the foreign file.
    const again = await tmp();
    await writeCorpus(again, { days: 1, seed: 8 });
    expect((await walk(again)).map((f) => rel(again, f)).filter((f) => f.endsWith('.json.gz'))).toEqual([...fresh]);
    expect(files).toContain(`AWSLogs/${ACCOUNT}/CloudTrail/README.txt`);
  });
});

describe('layout', () => {
  it('uses the CloudTrail S3 layout, one file per region per 5 minutes', () => {
    const logs = main1.files.filter((f) => f.startsWith('AWSLogs/'));
    expect(logs.length).toBe(main1.summary.files);
    expect(main1.files.filter((f) => !f.startsWith('AWSLogs/')).sort()).toEqual(['config.json', 'customer-registry.jsonl', 'labels.json']);
    const seen = new Set<string>();
    for (const f of logs) {
      const m = LAYOUT.exec(f);
      expect(m).not.toBeNull();
      const [, account, region, y, mo, d, account2, region2, fy, fmo, fd, hh, mm] = m!;
      expect(account).toBe(ACCOUNT);
      expect(account2).toBe(ACCOUNT);
      expect(region2).toBe(region);
      expect([fy, fmo, fd]).toEqual([y, mo, d]);
      expect(Number(mm) % 5).toBe(0);
      const delivered = Date.parse(`${fy}-${fmo}-${fd}T${hh}:${mm}:00Z`);
      const key = `${region}|${delivered}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      const records = main1.byFile.get(f)!;
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) {
        expect(r.awsRegion).toBe(region);
        const t = Date.parse(r.eventTime);
        expect(t).toBeGreaterThanOrEqual(delivered - 5 * 60_000);
        expect(t).toBeLessThan(delivered);
      }
      const times = records.map((r) => r.eventTime);
      expect([...times].sort()).toEqual(times);
    }
  });

  it('every file gunzips to {"Records":[...]}', async () => {
    const f = main1.files.find((x) => x.endsWith('.json.gz'))!;
    const text = gunzipSync(await fs.readFile(path.join(main1.dir, f))).toString('utf8');
    expect(text.startsWith('{"Records":[{')).toBe(true);
    expect(text.endsWith('}]}')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(['Records']);
  });

  it('default corpus: three days, both regions, a few thousand records, small', () => {
    const s = main1.summary;
    expect(s.start).toBe('2026-10-05T00:00:00Z');
    expect(s.end).toBe('2026-10-08T00:00:00Z');
    expect(s.records).toBe(main1.records.length);
    expect(s.records).toBeGreaterThan(3000);
    expect(s.records).toBeLessThan(10_000);
    expect(Object.keys(s.recordsByRegion).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(s.bytes).toBeLessThan(2.5 * 1024 * 1024);
    expect(s.note).toBeNull();
  });
});

describe('records', () => {
  it('have CloudTrail shapes and unique event IDs', () => {
    const ids = new Set<string>();
    for (const r of main1.records) {
      expect(['1.08', '1.09']).toContain(r.eventVersion);
      expect(r.eventTime).toMatch(EVENT_TIME);
      expect(r.eventID).toMatch(UUID);
      expect(ids.has(r.eventID)).toBe(false);
      ids.add(r.eventID);
      expect(typeof r.requestID).toBe('string');
      expect(r.eventType).toBe('AwsApiCall');
      expect(r.recipientAccountId).toBe(ACCOUNT);
      expect(typeof r.readOnly).toBe('boolean');
      expect(typeof r.managementEvent).toBe('boolean');
      expect(['Management', 'Data']).toContain(r.eventCategory);
      expect(r.eventSource).toMatch(/^[a-z0-9-]+\.amazonaws\.com$/);
      expect(typeof r.sourceIPAddress).toBe('string');
      expect(typeof r.userAgent).toBe('string');
      const u = identity(r);
      expect(['AssumedRole', 'AWSService', 'IAMUser', 'WebIdentityUser']).toContain(u.type);
      if (u.type === 'AssumedRole') {
        expect(u.arn).toMatch(/^arn:aws:sts::\d{12}:assumed-role\/[^/]+\/[^/]+$/);
        expect(u.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
        expect(u.principalId).toMatch(/^AROA[A-Z0-9]{17}:/);
        expect(u.sessionContext.sessionIssuer.type).toBe('Role');
        expect(u.sessionContext.sessionIssuer.arn).toMatch(/^arn:aws:iam::\d{12}:role\//);
        expect(u.sessionContext.attributes.creationDate).toMatch(EVENT_TIME);
        expect(u.sessionContext.attributes.creationDate <= r.eventTime).toBe(true);
        expect(u.arn.split('/')[1]).toBe(u.sessionContext.sessionIssuer.userName);
      } else if (u.type === 'IAMUser') {
        expect(u.arn).toMatch(/^arn:aws:iam::210987654321:user\//);
        expect(u.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
      } else if (u.type === 'WebIdentityUser') {
        expect(r.eventName).toBe('AssumeRoleWithWebIdentity');
        expect(u.identityProvider).toBe('arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com');
        expect(u.principalId).toBe(`${u.identityProvider}:sts.amazonaws.com:${u.userName}`);
      } else {
        expect(u.invokedBy).toMatch(/\.amazonaws\.com$/);
        expect(r.sourceIPAddress).toBe(u.invokedBy);
      }
      if (u.invokedBy !== undefined) {
        // A service acting (for a session, or on its own) is logged with its name as address and agent.
        expect(r.tlsDetails).toBeUndefined();
        expect([u.invokedBy, 'AWS Internal']).toContain(r.sourceIPAddress);
      } else {
        expect((r.tlsDetails as Record<string, string>).clientProvidedHostHeader).toMatch(/(amazonaws\.com|\.api\.aws)$/);
      }
      if (r.eventName !== 'AssumeRole') continue;
      if (r.errorCode) {
        expect(r.errorCode).toBe('AccessDenied');
        expect(r.requestParameters).toBeNull();
        expect(r.responseElements).toBeNull();
        expect(r.errorMessage).toMatch(/^User: arn:aws:sts::210987654321:assumed-role\/[^ ]+ is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
        continue;
      }
      const p = params(r)!;
      expect(p.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
      expect(typeof p.roleSessionName).toBe('string');
      const creds = (r.responseElements as Record<string, any>).credentials;
      expect(creds.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      expect(creds.expiration).toMatch(EXPIRATION);
      expect(typeof creds.sessionToken).toBe('string');
      expect((r.resources as { ARN: string }[])[0]!.ARN).toBe(p.roleArn);
      const roleAccount = p.roleArn.split(':')[4];
      if (roleAccount !== ACCOUNT) {
        expect(r.sharedEventID).toMatch(UUID);
        expect((r.responseElements as Record<string, any>).assumedRoleUser.arn).toBe(
          `arn:aws:sts::${roleAccount}:assumed-role/${p.roleArn.split('/').pop()}/${p.roleSessionName}`,
        );
      }
    }
  });

  it('expiration is eventTime plus durationSeconds in STS format', () => {
    const r = main1.records.find((x) => x.eventName === 'AssumeRole' && params(x)?.durationSeconds === 900)!;
    const exp = new Date(Date.parse(r.eventTime) + 900_000);
    const h = exp.getUTCHours();
    const month = exp.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
    const expected = `${month} ${exp.getUTCDate()}, ${exp.getUTCFullYear()}, ${h % 12 || 12}:${String(exp.getUTCMinutes()).padStart(2, '0')}:${String(exp.getUTCSeconds()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
    expect((r.responseElements as Record<string, any>).credentials.expiration).toBe(expected);
  });

  it('the iterator yields in event-time order', () => {
    let previous = '';
    let n = 0;
    for (const r of generateCorpus({ days: 1, customers: 12 })) {
      expect(r.eventTime >= previous).toBe(true);
      previous = r.eventTime;
      n++;
    }
    expect(n).toBeGreaterThan(500);
  });

  it('includes the expected kinds of noise', () => {
    const services = new Set(main1.records.map((r) => identity(r).invokedBy).filter(Boolean));
    for (const s of ['ecs-tasks.amazonaws.com', 'lambda.amazonaws.com', 'ec2.amazonaws.com', 'config.amazonaws.com', 'AWS Internal']) {
      expect(services).toContain(s);
    }
    expect(main1.records.some((r) => r.sourceIPAddress === 'AWS Internal')).toBe(true);
    expect(main1.records.some((r) => r.sourceIPAddress.includes(':'))).toBe(true);
    const admin = main1.records.filter((r) => identity(r).arn === 'arn:aws:iam::210987654321:user/ops-admin');
    expect(admin.length).toBeGreaterThan(10);
    expect(admin.every((r) => r.eventName !== 'AssumeRole')).toBe(true);
  });
});

describe('config and addresses', () => {
  it('config.json has the engine keys, in order, with the scenario values', async () => {
    const config = JSON.parse(await fs.readFile(path.join(main1.dir, 'config.json'), 'utf8'));
    expect(config).toEqual(scenarioConfig({ customerRegistry: 'customer-registry.jsonl' }));
    expect(Object.keys(config)).toEqual([
      'monitoredRoleArns', 'expectedCallerArns', 'humanRoleArnPatterns', 'allowedCidrs', 'sessionNamePattern',
      'volumeWindowMinutes', 'volumeSpikeFactor', 'learningPeriodDays', 'requireExternalId', 'roleRegions',
      'suppressionMinutes', 'minAlertSeverity', 'customerRegistry',
    ]);
    expect(scenarioConfig()).not.toHaveProperty('customerRegistry');
    expect(config.monitoredRoleArns).toEqual(['arn:aws:iam::210987654321:role/outbound-*']);
    // The deploy renamed the task role; the old one stays listed for a rollback.
    expect(config.expectedCallerArns).toEqual(['arn:aws:iam::210987654321:role/integration-backend', 'arn:aws:iam::210987654321:role/integration-backend-v2']);
    expect(Object.keys(config.allowedCidrs)).toEqual(['nat-eu', 'nat-us']);
    expect(config.allowedCidrs['nat-eu']).toEqual(['54.247.81.112/32', '18.200.143.27/32']);
    expect(config.allowedCidrs['nat-us']).toEqual(['54.221.176.58/32', '35.153.92.204/32', '3.214.87.140/32', '2600:1f18:6f2:8c00::/56']);
    expect(config.roleRegions).toEqual({
      'arn:aws:iam::210987654321:role/outbound-eu': 'eu-west-1',
      'arn:aws:iam::210987654321:role/outbound-us': 'us-east-1',
    });
    expect(config.learningPeriodDays).toBe(2);
  });

  it('NAT Elastic IPs and the dual-stack block are EC2 addresses of their region in the bundled AWS ranges', () => {
    const ranges = JSON.parse(readFileSync(path.join(__dirname, '..', 'data', 'aws-ip-ranges.json'), 'utf8')) as {
      prefixes: { ip_prefix: string; region: string; service: string }[];
      ipv6_prefixes: { ipv6_prefix: string; region: string; service: string }[];
    };
    for (const region of ['eu-west-1', 'us-east-1']) {
      for (const ip of natOf(region)) {
        expect(ranges.prefixes.some((p) => p.service === 'EC2' && p.region === region && ipv4InCidr(ip, p.ip_prefix))).toBe(true);
      }
    }
    const block = SCENARIO.natGroups['us-east-1'].ipv6!;
    expect(ranges.ipv6_prefixes.some((p) => p.service === 'EC2' && p.region === 'us-east-1' && ipv6InCidr(block.replace('/56', ''), p.ipv6_prefix))).toBe(true);
    for (const ip of [SCENARIO.attackerIp, SCENARIO.foreignIp, SCENARIO.outsiderIp, SCENARIO.officeIpv4, ...SCENARIO.ciRunnerIps]) {
      expect(ranges.prefixes.some((p) => ipv4InCidr(ip, p.ip_prefix))).toBe(false);
    }
  });
});

describe('labels', () => {
  it('name sixteen incidents whose event IDs are in the output, on the last day, each in hours of its own', () => {
    const byId = new Map(main1.records.map((r) => [r.eventID, r]));
    expect(main1.labels).toEqual(main1.summary.labels);
    expect(main1.labels.map((l) => l.detector)).toEqual([
      'human-principal', 'unexpected-caller', 'source-ip', 'session-locations', 'call-volume',
      'session-name', 'external-id', 'external-id', 'failed-assume', 'region',
      'target-role', 'session-request', 'client', 'failed-assume', 'source-ip', 'target-role',
    ]);
    expect(main1.labels.map((l) => l.id)).toEqual(INCIDENTS.map((incident, i) => `${String(i + 1).padStart(2, '0')}-${incident.id}`));
    // Only the ex-trial account needs the registry to be told from an onboarding.
    expect(main1.labels.filter((l) => l.requires !== undefined).map((l) => [l.id, l.requires])).toEqual([['16-target-role-unregistered', 'customerRegistry']]);
    const hourOwner = new Map<string, string>();
    for (const l of main1.labels) {
      expect(Object.keys(l)).toEqual(l.requires ? ['id', 'detector', 'requires', 'description', 'eventIds'] : ['id', 'detector', 'description', 'eventIds']);
      expect(l.description.length).toBeGreaterThan(20);
      expect(l.eventIds.length).toBeGreaterThan(0);
      for (const id of l.eventIds) {
        const r = byId.get(id);
        expect(r).toBeDefined();
        expect(r!.eventTime >= '2026-10-07T00:00:00Z').toBe(true);
        // No two incidents share an hour, so suppression cannot merge them.
        const hour = r!.eventTime.slice(0, 13);
        expect(hourOwner.get(hour) ?? l.id).toBe(l.id);
        hourOwner.set(hour, l.id);
      }
    }
  });

  it('each incident has the shape its detector looks for', () => {
    const byId = new Map(main1.records.map((r) => [r.eventID, r]));
    const get = (n: number): CloudTrailRecord[] => main1.labels[n]!.eventIds.map((id) => byId.get(id)!);
    const nat = (r: CloudTrailRecord, region: string): boolean => fromVendor(r.sourceIPAddress, region);
    const jsSdk = (r: CloudTrailRecord): boolean => r.userAgent.startsWith('aws-sdk-js/3.');

    const [alice] = get(0);
    expect(identity(alice!)).toMatchObject({ type: 'IAMUser', arn: 'arn:aws:iam::210987654321:user/alice' });
    expect(params(alice!)).toMatchObject({ roleArn: SCENARIO.outboundRoleArns['eu-west-1'], roleSessionName: 'alice' });
    expect(alice!.userAgent).toMatch(/^aws-cli\/2\.15\.30 Python\/3\.11\.8 Linux\//);
    expect(nat(alice!, 'eu-west-1')).toBe(true);

    const [exporter] = get(1);
    expect(identity(exporter!).arn).toBe('arn:aws:sts::210987654321:assumed-role/report-exporter/report-exporter');
    expect(issuer(exporter!)).toBe('arn:aws:iam::210987654321:role/report-exporter');
    expect(params(exporter!)!.roleArn).toBe(SCENARIO.outboundRoleArns['us-east-1']);
    expect(nat(exporter!, 'us-east-1')).toBe(true);

    const [into, out] = get(2);
    // The backend's task role, as the deploy of the day before renamed it.
    expect(issuer(into!)).toBe(SCENARIO.backendV2RoleArn);
    expect(into!.sourceIPAddress).toBe('185.220.101.47');
    expect(out!.sourceIPAddress).toBe('185.220.101.47');
    expect(identity(out!).accessKeyId).toBe((into!.responseElements as any).credentials.accessKeyId);
    expect(params(out!)!.roleSessionName).toMatch(/^sync-\d+$/);
    expect(params(out!)!.externalId).toBeDefined();
    expect(out!.awsRegion).toBe('eu-west-1');

    const replay = get(3);
    expect(replay.map((r) => r.eventName)).toEqual(['GetCallerIdentity', 'ListBuckets']);
    const key = identity(replay[0]!).accessKeyId;
    expect(replay.every((r) => r.sourceIPAddress === '203.0.113.50' && identity(r).accessKeyId === key)).toBe(true);
    const earlier = main1.records.filter((r) => identity(r).accessKeyId === key && !main1.labels[3]!.eventIds.includes(r.eventID));
    expect(earlier.length).toBeGreaterThan(3);
    expect(earlier.every((r) => nat(r, 'us-east-1') && r.eventTime <= replay[0]!.eventTime)).toBe(true);

    const burst = get(4);
    expect(burst.length).toBe(600);
    const t0 = Date.parse(burst[0]!.eventTime);
    expect(burst[0]!.eventTime.slice(11, 16)).toBe('14:00');
    expect(Date.parse(burst[599]!.eventTime) - t0).toBeLessThan(10 * 60_000);
    expect(new Set(burst.map((r) => identity(r).arn)).size).toBe(1);
    expect(burst.every((r) => nat(r, 'eu-west-1') && /^sync-\d+$/.test(params(r)!.roleSessionName) && params(r)!.externalId)).toBe(true);

    const [sdkName] = get(5);
    expect(params(sdkName!)!.roleSessionName).toBe('aws-sdk-js-1722511821294');
    expect(issuer(sdkName!)).toBe(SCENARIO.outboundRoleArns['us-east-1']);

    const [missing] = get(6);
    expect(params(missing!)).not.toHaveProperty('externalId');
    expect(missing!.errorCode).toBeUndefined();

    const [confused] = get(7);
    expect(confused!.errorCode).toBeUndefined();
    expect(issuer(confused!)).toBe(SCENARIO.outboundRoleArns['us-east-1']);

    const probes = get(8);
    expect(probes.length).toBe(25);
    expect(new Set(probes.map((r) => r.errorMessage)).size).toBe(25);
    expect(probes.every((r) => r.errorCode === 'AccessDenied' && r.requestParameters === null)).toBe(true);
    expect(Date.parse(probes[24]!.eventTime) - Date.parse(probes[0]!.eventTime)).toBeLessThan(5 * 60_000);

    const [wrongRegion] = get(9);
    expect(issuer(wrongRegion!)).toBe(SCENARIO.outboundRoleArns['eu-west-1']);
    expect(wrongRegion!.awsRegion).toBe('us-east-1');
    expect(nat(wrongRegion!, 'eu-west-1')).toBe(true);

    // 11: the pivot role, with the customer's own external ID, everything else the backend's.
    const [pivot] = get(10);
    const pivotAccount = params(pivot!)!.roleArn.split(':')[4];
    expect(params(pivot!)!.roleArn).toBe(`arn:aws:iam::${pivotAccount}:role/OrganizationAccountAccessRole`);
    expect(issuer(pivot!)).toBe(SCENARIO.outboundRoleArns['us-east-1']);
    expect(pivot!.errorCode).toBeUndefined();
    expect(nat(pivot!, 'us-east-1') && jsSdk(pivot!) && /^sync-\d+$/.test(params(pivot!)!.roleSessionName)).toBe(true);
    expect(main1.registry.find((l) => l.accountId === pivotAccount)!.externalIdSha256).toEqual([externalIdDigest(params(pivot!)!.externalId)]);

    // 12: a session policy that allows every action, the rest as the backend asks.
    const [wide] = get(11);
    expect(JSON.parse(params(wide!)!.policy)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    expect(params(wide!)!.durationSeconds).toBe(900);
    expect(nat(wide!, 'us-east-1') && jsSdk(wide!)).toBe(true);

    // 13: a session of the backend's SDK goes on with boto3, from the same address.
    const switched = get(12);
    const switchedKey = identity(switched[0]!).accessKeyId;
    expect(switched.map((r) => r.eventName)).toEqual(['GetCallerIdentity', 'AssumeRole']);
    expect(switched.every((r) => identity(r).accessKeyId === switchedKey && r.userAgent.startsWith('Boto3/'))).toBe(true);
    const before = main1.records.filter((r) => identity(r).accessKeyId === switchedKey && r.eventTime < switched[0]!.eventTime);
    expect(before.length).toBeGreaterThan(3);
    expect(before.every((r) => jsSdk(r) && r.sourceIPAddress === switched[0]!.sourceIPAddress)).toBe(true);

    // 14: slow probing: 54 denials over nine hours, a new session each hour, never 10 in 15 minutes.
    const slow = get(13);
    const denied = slow.filter((r) => r.errorCode === 'AccessDenied');
    expect(denied.length).toBe(54);
    expect(new Set(denied.map((r) => identity(r).arn)).size).toBe(9);
    expect(new Set(denied.map((r) => r.eventTime.slice(0, 13))).size).toBe(9);
    // 27 roles, each tried with two guessed external IDs.
    expect(new Set(denied.map((r) => r.errorMessage)).size).toBe(27);
    const times = denied.map((r) => Date.parse(r.eventTime));
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 15 * 60_000).length).toBeLessThan(10);
    const registered = new Set(main1.registry.map((l) => l.accountId));
    expect(denied.some((r) => registered.has(/role:? arn:aws:iam::(\d{12}):/.exec(r.errorMessage!)?.[1] ?? ''))).toBe(false);
    expect(slow.filter((r) => !r.errorCode).every((r) => params(r)!.roleArn === SCENARIO.outboundRoleArns['eu-west-1'] && issuer(r) === SCENARIO.backendV2RoleArn && nat(r, 'eu-west-1'))).toBe(true);

    // 15: a session whose creation is in no log, used from outside only.
    const outside = get(14);
    const outsideKey = identity(outside[0]!).accessKeyId;
    expect(outside.map((r) => r.eventName)).toEqual(['GetCallerIdentity', 'ListBuckets']);
    expect(outside.every((r) => r.sourceIPAddress === SCENARIO.outsiderIp && identity(r).accessKeyId === outsideKey)).toBe(true);
    expect(issuer(outside[0]!)).toBe(SCENARIO.outboundRoleArns['eu-west-1']);
    expect(main1.records.filter((r) => identity(r).accessKeyId === outsideKey || (r.responseElements as any)?.credentials?.accessKeyId === outsideKey)).toHaveLength(2);

    // 16: an account that never was a customer, with an external ID never sent before.
    const [trial] = get(15);
    const trialAccount = params(trial!)!.roleArn.split(':')[4];
    expect(trial!.errorCode).toBeUndefined();
    expect(registered.has(trialAccount)).toBe(false);
    expect(main1.records.filter((r) => JSON.stringify(r).includes(trialAccount))).toHaveLength(1);
    expect(main1.records.filter((r) => params(r)?.externalId === params(trial!)!.externalId)).toHaveLength(1);
    expect(nat(trial!, 'eu-west-1') && jsSdk(trial!) && /^sync-\d+$/.test(params(trial!)!.roleSessionName)).toBe(true);
  });

  it('external IDs: one per account, but for the incidents and the re-installed customer, who switches once', () => {
    const labelled = new Set(main1.labels.flatMap((l) => l.eventIds));
    const idsOf = new Map<string, { id: string; first: string; last: string }[]>();
    const accountsOf = new Map<string, Set<string>>();
    for (const r of main1.records) {
      if (r.eventName !== 'AssumeRole' || r.errorCode || !OUTBOUND.includes(issuer(r) ?? '') || labelled.has(r.eventID)) continue;
      const p = params(r)!;
      const account = p.roleArn.split(':')[4];
      const uses = idsOf.get(account) ?? idsOf.set(account, []).get(account)!;
      const use = uses.find((u) => u.id === p.externalId);
      if (use) use.last = r.eventTime;
      else uses.push({ id: p.externalId, first: r.eventTime, last: r.eventTime });
      (accountsOf.get(p.externalId) ?? accountsOf.set(p.externalId, new Set()).get(p.externalId)!).add(account);
    }
    const switched = [...idsOf.entries()].filter(([, uses]) => uses.length > 1);
    expect(switched).toHaveLength(1);
    const [[reinstalled, [old, fresh]]] = switched as [[string, [{ id: string; first: string; last: string }, { id: string; first: string; last: string }]]];
    // The old ID is never sent again once the new one is, and the registry lists both, the new one first.
    expect(old.last < fresh.first).toBe(true);
    expect(main1.registry.find((l) => l.accountId === reinstalled)!.externalIdSha256).toEqual([externalIdDigest(fresh.id), externalIdDigest(old.id)]);
    const shared = [...accountsOf.values()].filter((a) => a.size > 1);
    expect(shared.map((a) => a.size)).toEqual([2, 2]);
    const byId = new Map(main1.records.map((r) => [r.eventID, r]));
    const confused = params(byId.get(main1.labels[7]!.eventIds[0]!)!)!;
    const victim = confused.roleArn.split(':')[4];
    expect(idsOf.get(victim)!.map((u) => u.id)).not.toContain(confused.externalId);
    expect(accountsOf.get(confused.externalId)!.size).toBe(1);
  });
});

describe('benign traffic looks normal', () => {
  it('into-calls, out-calls and session activity follow the expected pattern', () => {
    const labelled = new Set(main1.labels.flatMap((l) => l.eventIds));
    const registered = new Set(main1.registry.map((l) => l.accountId));
    const keyIps = new Map<string, Set<string>>();
    const failuresPerHour = new Map<string, number>();
    let into = 0;
    let out = 0;
    for (const r of main1.records) {
      if (labelled.has(r.eventID)) continue;
      const p = params(r);
      if (r.eventName === 'AssumeRole' && p && OUTBOUND.includes(p.roleArn)) {
        into++;
        expect([SCENARIO.backendRoleArn, SCENARIO.backendV2RoleArn]).toContain(issuer(r));
        expect(identity(r).arn).toMatch(/^arn:aws:sts::210987654321:assumed-role\/integration-backend(-v2)?\/[0-9a-f]{32}$/);
        expect(r.awsRegion).toBe(REGION_OF_ROLE[p.roleArn]);
        expect(fromVendor(r.sourceIPAddress, r.awsRegion)).toBe(true);
        expect(p.roleSessionName).toMatch(/^(backend|onboarding-verify)-(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8}$/);
        expect(p.durationSeconds).toBe(3600);
      }
      const role = issuer(r);
      if (role && OUTBOUND.includes(role)) {
        // Each regional role calls through its own region's endpoint, failover or not.
        const region = REGION_OF_ROLE[role]!;
        expect(r.awsRegion).toBe(region);
        expect(fromVendor(r.sourceIPAddress, region)).toBe(true);
        const key = identity(r).accessKeyId as string;
        (keyIps.get(key) ?? keyIps.set(key, new Set()).get(key)!).add(r.sourceIPAddress);
        if (r.eventName === 'AssumeRole') {
          out++;
          if (r.errorCode) {
            const hour = r.eventTime.slice(0, 13);
            failuresPerHour.set(hour, (failuresPerHour.get(hour) ?? 0) + 1);
            // Benign denials are customers': one that left, or one whose stack is not there yet.
            expect(registered.has(/resource: arn:aws:iam::(\d{12}):/.exec(r.errorMessage!)![1]!)).toBe(true);
          } else {
            expect(p!.roleSessionName).toMatch(/^sync-\d+$/);
            expect(p!.externalId).toMatch(UUID);
            expect(p!.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\/VendorIntegrationRole$/);
          }
        } else {
          expect(r.eventName).toBe('GetCallerIdentity');
        }
      }
    }
    // Two tasks per region per hour, but eu's in the three failover hours; plus the onboarding
    // verifier and the call-volume burst session's normal into-call.
    expect(into).toBe(72 * 4 - 3 * 2 + 1 + 1);
    expect(out).toBeGreaterThan(72 * 40);
    for (const ips of keyIps.values()) expect(ips.size).toBe(1);
    // At most the two customers leaving at once, in the daily scan.
    expect(Math.max(...failuresPerHour.values())).toBeLessThanOrEqual(8);
  });

  it('the daily scan runs 02:00-02:20 UTC', () => {
    const perMinute = (hour: string): number[] => {
      const counts = new Array<number>(60).fill(0);
      for (const r of main1.records) {
        if (r.eventName === 'AssumeRole' && OUTBOUND.includes(issuer(r) ?? '') && r.eventTime.startsWith(hour)) {
          counts[Number(r.eventTime.slice(14, 16))]!++;
        }
      }
      return counts;
    };
    const scan = perMinute('2026-10-05T02');
    const normal = perMinute('2026-10-05T05');
    const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
    expect(sum(scan)).toBeGreaterThan(3.5 * sum(normal));
    expect(sum(scan.slice(0, 21))).toBeGreaterThan(sum(scan) * 0.8);
  });

  it('without incidents: no labels, and the benign records are the same', () => {
    const ids = new Set(main1.records.map((r) => r.eventID));
    const gen = generateCorpus({ incidents: false });
    let step = gen.next();
    let n = 0;
    while (!step.done) {
      expect(ids.has(step.value.eventID)).toBe(true);
      n++;
      step = gen.next();
    }
    expect((step.value as CorpusSummary).labels).toEqual([]);
    const incidentRecords = main1.labels.reduce((s, l) => s + l.eventIds.length, 0);
    expect(main1.records.length - n).toBeGreaterThanOrEqual(incidentRecords);
  });
});

describe('record limit and CLI', () => {
  it('stops after N records and keeps only emitted labels', () => {
    const gen = generateCorpus({ maxRecords: 1234 });
    let n = 0;
    let step = gen.next();
    while (!step.done) {
      n++;
      step = gen.next();
    }
    expect(n).toBe(1234);
    expect(step.value.records).toBe(1234);
    expect(step.value.labels).toEqual([]);
  });

  it('an open-ended run with --records places incidents after the learning period', () => {
    const gen = generateCorpus({ maxRecords: 6000, customers: 10 });
    let step = gen.next();
    const ids = new Set<string>();
    while (!step.done) {
      ids.add(step.value.eventID);
      step = gen.next();
    }
    expect(step.value.records).toBe(6000);
    expect(step.value.labels.length).toBe(INCIDENTS.length);
    for (const l of step.value.labels) for (const id of l.eventIds) expect(ids.has(id)).toBe(true);
  });

  it('main() writes a limited corpus and prints a summary', async () => {
    const dir = await tmp();
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      expect(await main([dir, '--records', '500', '--seed', '3', '--customers', '12', '--no-incidents'])).toBe(0);
      expect(await main(['generate', dir, '--days', 'x'])).toBe(2);
      expect(await main([])).toBe(2);
      expect(await main([dir, '--bogus'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(chunks[0]).toMatch(/\d+ files, 500 records .*0 incidents/);
    let total = 0;
    for (const f of await walk(dir)) {
      if (!f.endsWith('.json.gz')) continue;
      expect(LAYOUT.test(rel(dir, f))).toBe(true);
      total += (JSON.parse(gunzipSync(await fs.readFile(f)).toString('utf8')).Records as unknown[]).length;
    }
    expect(total).toBe(500);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'labels.json'), 'utf8'))).toEqual([]);
  });

  it('parses arguments', () => {
    expect(parseArgs(['generate', 'out', '--days', '5', '--customers=50', '--seed', '9', '--start', '2026-01-01T00:00:00Z', '--no-incidents', '--records', '100'])).toEqual({
      outDir: 'out',
      options: { days: 5, customers: 50, seed: 9, start: '2026-01-01T00:00:00Z', incidents: false, maxRecords: 100 },
    });
    expect(() => parseArgs(['--days', '3'])).toThrow(/missing <outDir>/);
  });
});
