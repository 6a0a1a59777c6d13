/** Cases of source-ip: monitored AssumeRole calls from outside the allow-listed egress addresses. */
import { ADDRESSES, intoOutbound, outToCustomer } from '../support/case-records';
import type { DetectorCase } from './cases';
import { STRATUS_IAM_USER_ASSUME } from '../support/fixture-records';

const T = '2024-08-01T10:45:22Z';

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
];
