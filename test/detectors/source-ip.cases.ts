/** Cases of source-ip: monitored AssumeRole calls from outside the allow-listed egress addresses. */
import { ADDRESSES, after, intoOutbound, outboundSession, outToCustomer, sessionCall, type Json } from '../support/case-records';
import type { DetectorCase } from './cases';
import { STRATUS_IAM_USER_ASSUME, STRATUS_STOLEN_CREDENTIALS } from '../support/fixture-records';

const T = '2024-08-01T10:45:22Z';

/** An instance-profile session of the outbound role: created by EC2 (a call the engine ignores), never seen before its first call. */
const INSTANCE_SESSION = outboundSession('i-0a1b2c3d4e5f67890', { accessKeyId: 'ASIAQ7XKM3VN2RT4WZ5A', createdAt: '2024-08-01T10:20:52Z', ec2RoleDelivery: '2.0' });

/** The backend's AssumeRole of the outbound role from `sourceIp`, and a session identity signing with the key it issued. */
function created(sourceIp: string): { creation: Json; session: Json } {
  const creation = intoOutbound({ time: T, sourceIp, sessionName: 'backend-7d2e4a10' });
  const issued = (creation.responseElements as { credentials: { accessKeyId: string } }).credentials.accessKeyId;
  return { creation, session: outboundSession('backend-7d2e4a10', { accessKeyId: issued, createdAt: T }) };
}

const FROM_TOR = created(ADDRESSES.tor);
const AT_HOME = created(ADDRESSES.natEu);

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'rates a customer role assumed from a non-AWS address high',
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.tor }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates the outbound role assumed from an AWS address outside the allow-list high (an attacker\'s EC2 instance)',
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.awsElsewhere }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a customer role assumed from an EC2 address in the vendor\'s own region, outside the allow-list, high',
    // 3.80.20.12 is AWS EC2 us-east-1, next to the allow-listed nat-us address 3.80.20.11.
    record: outToCustomer({ time: T, sourceIp: '3.80.20.12' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a private (VPC endpoint) address outside the allow-list high',
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890' } }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for a private address through a VPC endpoint when the VPC\'s range is allow-listed',
    config: { allowedCidrs: { 'nat-eu': ['52.48.10.7/32'], 'vpc-bastion': ['10.20.0.0/16'] } },
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890' } }),
    expect: 'quiet',
  },
  {
    name: 'rates a source that is neither an address nor a service medium',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    // stratus-red-team: the anonymised source "255.18.064.253" is not an IP address.
    record: STRATUS_IAM_USER_ASSUME,
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'still rates a non-AWS address high without an allow-list',
    config: { allowedCidrs: {} },
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.external }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for an address in an allow-listed group',
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.natEu2 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for an allow-listed address written as IPv4-mapped IPv6',
    record: intoOutbound({ time: T, sourceIp: `::ffff:${ADDRESSES.natUs}` }),
    expect: 'quiet',
  },
  {
    name: 'classifies "AWS Internal" without flagging it',
    record: outToCustomer({ time: T, sourceIp: 'AWS Internal', userAgent: 'AWS Internal' }),
    expect: 'quiet',
  },
  {
    name: 'classifies an AWS service host name without flagging it',
    record: outToCustomer({ time: T, sourceIp: 'athena.amazonaws.com', userAgent: 'athena.amazonaws.com' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a private (VPC endpoint) address when there is no allow-list',
    config: { allowedCidrs: {} },
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890' } }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for an AWS address when there is no allow-list',
    config: { allowedCidrs: {} },
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.awsElsewhere }),
    expect: 'quiet',
  },
  // Every call a monitored role's session makes, not only AssumeRole (stolen credentials used only from outside).
  {
    name: 'rates the first call of a never-seen session from a non-AWS address high (instance credentials used from a home address)',
    record: sessionCall({ time: T, caller: INSTANCE_SESSION, sourceIp: ADDRESSES.external, userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates stolen instance credentials used from an EC2 address outside the allow-list high, on their first call',
    basedOn: 'stratus-red-team/aws.credential-access.ec2-steal-instance-credentials.json',
    record: STRATUS_STOLEN_CREDENTIALS,
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'still rates a never-seen session\'s call from a non-AWS address high without an allow-list',
    config: { allowedCidrs: {} },
    record: sessionCall({ time: T, caller: INSTANCE_SESSION, sourceIp: ADDRESSES.external }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for a session\'s call from an allow-listed NAT',
    record: sessionCall({ time: T, caller: INSTANCE_SESSION, sourceIp: ADDRESSES.natEu2 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a session\'s call from an AWS address without an allow-list (a backend on EC2)',
    config: { allowedCidrs: {} },
    record: sessionCall({ time: T, caller: INSTANCE_SESSION, sourceIp: ADDRESSES.awsElsewhere }),
    expect: 'quiet',
  },
  {
    name: 'leaves a session seen at home before to session-locations (one alert for the move, not two)',
    history: [sessionCall({ time: T, caller: INSTANCE_SESSION, sourceIp: ADDRESSES.natEu })],
    record: sessionCall({ time: after(T, 60), caller: INSTANCE_SESSION, sourceIp: ADDRESSES.tor }),
    expect: 'quiet',
  },
  {
    name: 'leaves a session created at home to session-locations when its first call comes from outside',
    history: [AT_HOME.creation],
    record: sessionCall({ time: after(T, 5), caller: AT_HOME.session, sourceIp: ADDRESSES.tor }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet on the calls of a session created from the same outside address (its creation alerted)',
    history: [FROM_TOR.creation],
    record: outToCustomer({ time: after(T, 5), caller: FROM_TOR.session, sourceIp: ADDRESSES.tor }),
    expect: 'quiet',
  },
  {
    name: 'rates another never-seen session from that same outside address high (a creation covers only the session it created)',
    history: [FROM_TOR.creation],
    record: sessionCall({ time: after(T, 5), caller: INSTANCE_SESSION, sourceIp: ADDRESSES.tor }),
    expect: 'fires',
    severity: 'high',
  },
];
