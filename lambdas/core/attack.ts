/**
 * MITRE ATT&CK (Enterprise) tactics and techniques the detectors are mapped to, with their
 * names as ATT&CK publishes them (https://attack.mitre.org), so that an alert can appear in a
 * SOC's coverage map beside Sigma, Elastic and Panther rules. Only the entries a detector uses
 * are listed; a technique names the tactics ATT&CK files it under, and a mapping must use one of
 * them (the detector test checks it).
 */

/** The tactics used. */
export const TACTICS = {
  TA0001: 'Initial Access',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
} as const;

/** A tactic ID. */
export type TacticId = keyof typeof TACTICS;

/** The techniques and sub-techniques used, with the tactics ATT&CK files each under. */
export const TECHNIQUES = {
  T1078: { name: 'Valid Accounts', tactics: ['TA0001', 'TA0003', 'TA0004', 'TA0005'] },
  'T1078.004': { name: 'Valid Accounts: Cloud Accounts', tactics: ['TA0001', 'TA0003', 'TA0004', 'TA0005'] },
  T1199: { name: 'Trusted Relationship', tactics: ['TA0001'] },
  T1550: { name: 'Use Alternate Authentication Material', tactics: ['TA0005', 'TA0008'] },
  'T1550.001': { name: 'Use Alternate Authentication Material: Application Access Token', tactics: ['TA0005', 'TA0008'] },
  T1535: { name: 'Unused/Unsupported Cloud Regions', tactics: ['TA0005'] },
  T1548: { name: 'Abuse Elevation Control Mechanism', tactics: ['TA0004', 'TA0005'] },
  'T1548.005': { name: 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access', tactics: ['TA0004', 'TA0005'] },
  T1087: { name: 'Account Discovery', tactics: ['TA0007'] },
  'T1087.004': { name: 'Account Discovery: Cloud Account', tactics: ['TA0007'] },
  T1110: { name: 'Brute Force', tactics: ['TA0006'] },
} as const satisfies Record<string, { readonly name: string; readonly tactics: readonly TacticId[] }>;

/** A technique or sub-technique ID (`T1078.004`). */
export type TechniqueId = keyof typeof TECHNIQUES;

/** One ATT&CK mapping of a detector: a technique and the tactic it serves there. */
export interface AttackRef {
  readonly tactic: TacticId;
  readonly technique: TechniqueId;
}

/** A mapping with its names, as alerts carry it. */
export interface AttackMapping {
  readonly tactic: { readonly uid: TacticId; readonly name: string };
  readonly technique: { readonly uid: string; readonly name: string };
  /** Present when the ID is a sub-technique (`T1078.004` under `T1078`). */
  readonly subTechnique?: { readonly uid: string; readonly name: string };
}

/** A mapping with its names: a sub-technique under its parent technique. */
export function attackMapping(ref: AttackRef): AttackMapping {
  const tactic = { uid: ref.tactic, name: TACTICS[ref.tactic] };
  const dot = ref.technique.indexOf('.');
  if (dot === -1) return { tactic, technique: { uid: ref.technique, name: TECHNIQUES[ref.technique].name } };
  const parent = ref.technique.slice(0, dot) as TechniqueId;
  return { tactic, technique: { uid: parent, name: TECHNIQUES[parent].name }, subTechnique: { uid: ref.technique, name: TECHNIQUES[ref.technique].name } };
}

/** One line per mapping: `T1078.004 Valid Accounts: Cloud Accounts (Initial Access, TA0001)`. */
export function describeAttack(mappings: readonly AttackMapping[]): string[] {
  return mappings.map((m) => {
    const t = m.subTechnique ?? m.technique;
    return `${t.uid} ${t.name} (${m.tactic.name}, ${m.tactic.uid})`;
  });
}
