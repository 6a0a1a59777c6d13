/** source-ip: a monitored AssumeRole call came from outside the vendor's egress addresses. */
import { isPrivate, locationPrefix } from '../core/ip';
import type { Severity } from '../core/types';
import { evidenceOf, stateless, targetRoleLabel, type Detector } from './detector';

/** How a title names the source, by its class. */
const ADDRESS_CLASS_TITLES: Readonly<Record<string, string>> = {
  external: 'a non-AWS address',
  aws: 'an AWS address outside the allow-list',
  private: 'a private address outside the allow-list',
};

/** See the registry; evaluated on AssumeRole calls into or out of a monitored role. */
export const detector: Detector = {
  id: 'source-ip',
  title: 'Monitored call from an address outside the allow-list',
  severity: 'high',
  description:
    'An AssumeRole call into or out of a monitored role came from an address outside the allow-list. With `allowedCidrs` set, any address outside it is high, whether it is AWS\'s (attackers rent EC2 in the vendor\'s region; the cause names the service and region from the bundled ip-ranges.json), private (a VPC endpoint; the cause names the endpoint: a vendor that calls STS through one lists its VPC ranges in `allowedCidrs`) or another network\'s. Without an allow-list, non-AWS addresses are high and AWS or private ones are not flagged. AWS service host names and `AWS Internal` are classified, not flagged; a source that is neither an address nor a service is medium.',
  runbook:
    'Look the address up (owner, geolocation, other activity). If it is not the vendor\'s, treat the calling credentials as stolen: revoke the sessions, rotate the backend\'s credentials, and check which customer roles were assumed from it.',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.intoRole ?? subject.outRole;
    if (!role || call.kind !== 'assume-role') return null;
    const source = call.source;
    let severity: Severity;
    let cause: string;
    let prefix: string;
    const details: Record<string, string> = {};
    if (source.kind === 'invalid') {
      severity = 'medium';
      cause = `source address ${JSON.stringify(source.text.slice(0, 64))} is neither an IP address nor an AWS service`;
      prefix = 'invalid';
    } else if (source.kind === 'ip') {
      if (config.allowedGroups.lookup(source.ip)) return null;
      prefix = locationPrefix(source.ip);
      const aws = config.awsIpRanges.lookup(source.ip);
      // Outside a configured allow-list every address is a violation (an attacker's EC2 instance
      // in the vendor's region is an AWS address); without one only non-AWS addresses stand out.
      if (isPrivate(source.ip)) {
        if (!config.hasAllowList) return null;
        severity = 'high';
        cause = `private address ${source.text}${call.vpcEndpointId ? ` via VPC endpoint ${call.vpcEndpointId}` : ''} is not in allowedCidrs (list the VPC's ranges there if the vendor calls STS through this endpoint)`;
        details.addressClass = 'private';
        if (call.vpcEndpointId) details.vpcEndpointId = call.vpcEndpointId;
      } else if (aws) {
        if (!config.hasAllowList) return null;
        severity = 'high';
        cause = `${source.text} is an AWS address (${aws.service} ${aws.region}) outside allowedCidrs`;
        details.addressClass = 'aws';
        details.awsPrefix = aws.prefix;
        details.awsService = aws.service;
        details.awsRegion = aws.region;
      } else {
        severity = 'high';
        cause = `${source.text} is ${config.hasAllowList ? 'neither in allowedCidrs nor an AWS address' : 'not an AWS address'}`;
        details.addressClass = 'external';
      }
    } else {
      return null;
    }
    const direction = subject.intoRole ? `assumption of ${role}` : `assumption by ${role}`;
    return stateless({
      findings: [{
        severity,
        title: `${subject.intoRole ? 'Outbound role' : targetRoleLabel(call.roleAccountId, call, role)} assumed from ${ADDRESS_CLASS_TITLES[details.addressClass ?? ''] ?? 'an unexpected address'}`,
        cause: `${direction}: ${cause}`,
        dedupKey: `source-ip|${role}|${prefix}`,
        evidence: evidenceOf(subject, details),
      }],
      updates: [],
    });
  },
};
