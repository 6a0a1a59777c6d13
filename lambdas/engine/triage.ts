/**
 * What becomes of a finding before it may alert: under its detector's severity floor, exempted by
 * one of its detector's exceptions, or eligible. Judged on the call the finding is about (the
 * engine holds it; an alert no longer does), at the event's time, so a back-test replays the past
 * with the exceptions as they stood then.
 */
import type { CallFacts, CompiledException } from '../core/detector-settings';
import type { CompiledConfig } from '../core/config';
import { SEVERITIES, type Finding, type ParsedCall } from '../core/types';
import { callerIdentities } from '../detectors/detector';

/** An assumed-role session ARN: `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`. */
const ASSUMED_ROLE_SESSION = /^arn:[^:]*:sts::[^:]*:assumed-role\/[^/]+\/(.+)$/;

/** The facts of a call exceptions are matched against. */
export function callFacts(call: ParsedCall): CallFacts {
  const sessionArn = call.principal.arn === null ? null : ASSUMED_ROLE_SESSION.exec(call.principal.arn);
  return {
    eventTime: call.eventTime,
    callerIdentities: callerIdentities(call),
    sourceIp: call.source.kind === 'ip' ? call.source.ip : null,
    // An AssumeRole is matched by the session it asks for (a failed one may not have logged it).
    sessionName: call.kind === 'assume-role' ? call.roleSessionName : (sessionArn?.[1] ?? null),
    targetAccount: call.kind === 'assume-role' ? call.roleAccountId : null,
  };
}

/** A batch's findings sorted, and the counts the stats report. */
export class Triage {
  /** Findings that may alert, in the order they came. */
  readonly eligible: Finding[] = [];
  belowSeverity = 0;
  exempted = 0;
  /** Exempted findings by `<detector>/<exception id>`. */
  readonly exemptions: Record<string, number> = {};
  private lastCall: ParsedCall | null = null;
  private lastFacts: CallFacts | null = null;

  constructor(private readonly config: CompiledConfig) {}

  /**
   * Sorts one finding about `call`; `roleChecker` names the role checker behind the call, whose
   * findings alert titled as its (what it finds is real: the detectors drop its deliberate probes).
   */
  judge(found: Finding, call: ParsedCall, roleChecker: string | null = null): void {
    const finding = roleChecker === null ? found : byRoleChecker(found, roleChecker);
    const settings = this.config.detectorSettings(finding.detector);
    if (SEVERITIES.indexOf(finding.severity) < SEVERITIES.indexOf(settings.minSeverity)) {
      this.belowSeverity += 1;
      return;
    }
    const exception = settings.exceptions.length === 0 ? null : this.exceptionFor(settings.exceptions, call);
    if (exception === null) {
      this.eligible.push(finding);
      return;
    }
    this.exempted += 1;
    this.exemptions[exception.key] = (this.exemptions[exception.key] ?? 0) + 1;
  }

  /** The first of the exceptions that applies to the call, or null. Facts are worked out once per call. */
  private exceptionFor(exceptions: readonly CompiledException[], call: ParsedCall): CompiledException | null {
    if (this.lastCall !== call) {
      this.lastCall = call;
      this.lastFacts = callFacts(call);
    }
    const facts = this.lastFacts!;
    return exceptions.find((e) => e.applies(facts)) ?? null;
  }
}

/** A finding about the role checker's call, titled as its, with the checker's principal in the evidence. */
function byRoleChecker(finding: Finding, roleChecker: string): Finding {
  return {
    ...finding,
    title: `${finding.title} (made by the role checker)`,
    evidence: { ...finding.evidence, details: { ...finding.evidence.details, roleChecker } },
  };
}
