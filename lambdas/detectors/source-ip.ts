/** source-ip: a monitored AssumeRole call came from outside the vendor's egress addresses. */
import { isPrivate, locationPrefix } from '../core/ip';
import type { Severity } from '../core/types';
import { evidenceOf, stateless, type Detector } from './detector';

/** See the registry; evaluated on AssumeRole calls into or out of a monitored role. */
export const detector: Detector = {
  id: 'source-ip',
  title: 'Monitored call from an address outside the allow-list',
  severity: 'high',
  description:
    'An AssumeRole call into or out of a monitored role came from an address outside `allowedCidrs`: high when the address is not AWS\'s either (bundled ip-ranges.json), medium when it is an AWS or private address. AWS service host names and `AWS Internal` are classified, not flagged. Without an allow-list only non-AWS addresses are flagged.',
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
      if (isPrivate(source.ip)) {
        if (!config.hasAllowList) return null;
        severity = 'medium';
        cause = `private address ${source.text}${call.vpcEndpointId ? ` via ${call.vpcEndpointId}` : ''} is not in allowedCidrs`;
        details.addressClass = 'private';
      } else if (aws) {
        if (!config.hasAllowList) return null;
        severity = 'medium';
        cause = `${source.text} is an AWS address (${aws.service} ${aws.region}) outside allowedCidrs`;
        details.addressClass = 'aws';
        details.awsPrefix = aws.prefix;
        details.awsService = aws.service;
        details.awsRegion = aws.region;
      } else {
        severity = 'high';
        cause = `${source.text} is neither in allowedCidrs nor an AWS address`;
        details.addressClass = 'external';
      }
    } else {
      return null;
    }
    const direction = subject.intoRole ? `assumption of ${role}` : `assumption by ${role}`;
    return stateless({
      findings: [{
        severity,
        title: `${subject.intoRole ? 'Outbound role assumed' : 'Customer role assumed'} from ${details.addressClass === 'external' ? 'a non-AWS' : 'an unexpected'} address`,
        cause: `${direction}: ${cause}`,
        dedupKey: `source-ip|${role}|${prefix}`,
        evidence: evidenceOf(subject, details),
      }],
      updates: [],
    });
  },
};
