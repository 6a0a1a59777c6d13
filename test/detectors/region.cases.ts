/** Cases of region: regional outbound roles used through another region's STS endpoint. */
import { BASTION_ACCOUNT, intoOutbound, outboundSession, outToCustomer } from '../support/case-records';
import type { DetectorCase } from './cases';

/** The EU outbound role, pinned to eu-west-1. */
const OUTBOUND_EU = `arn:aws:iam::${BASTION_ACCOUNT}:role/outbound-eu`;
/** The US outbound role, which uses two regional endpoints. */
const OUTBOUND_US = `arn:aws:iam::${BASTION_ACCOUNT}:role/outbound-us`;
const PINNED = { roleRegions: { [OUTBOUND_EU]: 'eu-west-1', [OUTBOUND_US]: ['us-east-1', 'us-east-2'] } };
const T = '2024-08-01T10:45:22Z';

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    // The global endpoint (sts.amazonaws.com) logs in us-east-1.
    name: 'fires when a pinned role is assumed through another region',
    config: PINNED,
    record: intoOutbound({ time: T, roleArn: OUTBOUND_EU, region: 'us-east-1' }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires when a pinned role\'s session assumes a customer role through another region',
    config: PINNED,
    record: outToCustomer({ time: T, caller: outboundSession('backend-3f1c0b6e', {}, OUTBOUND_EU), region: 'ap-southeast-2' }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet for a pinned role used in its region, in and out',
    config: PINNED,
    history: [intoOutbound({ time: '2024-08-01T10:40:02Z', roleArn: OUTBOUND_EU })],
    record: outToCustomer({ time: T, caller: outboundSession('backend-3f1c0b6e', {}, OUTBOUND_EU) }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a role pinned to several regions used in one of them',
    config: PINNED,
    record: outToCustomer({ time: T, caller: outboundSession('backend-3f1c0b6e', {}, OUTBOUND_US), region: 'us-east-2', sourceIp: '3.80.20.11' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a role that is not pinned',
    config: PINNED,
    record: outToCustomer({ time: T, region: 'us-west-2' }),
    expect: 'quiet',
  },
];
