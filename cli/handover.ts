/**
 * How parse results cross from the replay's reader thread to the engine. A structured clone of
 * the result objects costs more than parsing them (every string and object is rebuilt on the
 * other side); here each result becomes a run of numbers in one flat array, and a string that
 * repeats (a role ARN, a session, a user agent, an address) crosses once and is named by its
 * number after that. Unique strings (event IDs, issued keys) are sent as they are.
 *
 * The encoder and the decoder keep the same table: messages must be decoded in the order they
 * were encoded (a worker's messages arrive in the order it posts them).
 */
import type { ParseResult } from '../lambdas/core/parse';
import type { IpAddress } from '../lambdas/core/ip';
import type { AssumeRoleCall, ParsedCall, Principal, SessionActivity, SourceAddress } from '../lambdas/core/types';

/** One file's results, as they cross between threads. */
export type Encoded = readonly unknown[];

/** Repeated strings both sides remember, before they start again from empty. */
const DEFAULT_TABLE_SIZE = 65_536;

/** The string fields an encoder remembers the last value of. */
const FIELDS = 24;

const ASSUME = 0;
const ACTIVITY = 1;
const IGNORED = 2;
const REJECTED = 3;

const SOURCE_KINDS = ['ip', 'service', 'aws-internal', 'invalid', 'missing'] as const;
const SOURCE_CODES: Readonly<Record<SourceAddress['kind'], number>> = { ip: 0, service: 1, 'aws-internal': 2, invalid: 3, missing: 4 };
const COPIES = ['caller', 'owner', 'single'] as const;
const COPY_CODES: Readonly<Record<AssumeRoleCall['copy'], number>> = { caller: 0, owner: 1, single: 2 };

/** Encodes results on the reader thread. */
export class ResultEncoder {
  private readonly ids = new Map<string, number>();
  private readonly lastValues: (string | undefined)[] = new Array<string | undefined>(FIELDS).fill(undefined);
  private readonly lastIds: number[] = new Array<number>(FIELDS).fill(0);

  constructor(private readonly tableSize = DEFAULT_TABLE_SIZE) {}

  encode(results: readonly ParseResult[]): Encoded {
    const out: unknown[] = [];
    // A full table starts again, on both sides, at a message boundary.
    if (this.ids.size >= this.tableSize) {
      this.ids.clear();
      this.lastValues.fill(undefined);
      out.push(1);
    } else out.push(0);
    for (const r of results) {
      if (r.kind === 'rejected') {
        out.push(REJECTED, r);
        continue;
      }
      if (r.kind === 'ignored') {
        out.push(IGNORED, r.eventId, r.eventTime);
        continue;
      }
      this.call(out, r);
    }
    return out;
  }

  private call(out: unknown[], r: ParsedCall): void {
    out.push(r.kind === 'assume-role' ? ASSUME : ACTIVITY, r.eventId, r.eventTime);
    this.string(out, r.eventName, 0);
    this.string(out, r.eventSource, 1);
    this.string(out, r.eventVersion, 2);
    this.string(out, r.awsRegion, 3);
    this.string(out, r.recipientAccountId, 4);
    out.push(r.sharedEventId, SOURCE_CODES[r.source.kind]);
    this.string(out, r.source.text, 5);
    if (r.source.kind === 'ip') {
      const ip = r.source.ip;
      out.push(ip.version === 4 ? ip.value : ip.value.toString(16));
    }
    this.string(out, r.userAgent, 6);
    this.string(out, r.vpcEndpointId, 7);
    const p = r.principal;
    this.string(out, p.type, 8);
    this.string(out, p.arn, 9);
    this.string(out, p.accountId, 10);
    this.string(out, p.principalId, 11);
    this.string(out, p.accessKeyId, 12);
    this.string(out, p.userName, 13);
    this.string(out, p.sessionIssuerArn, 14);
    this.string(out, p.invokedBy, 15);
    this.string(out, p.identityProvider, 16);
    out.push((p.mfaAuthenticated ? 1 : 0) | (p.consoleCredentials ? 2 : 0), p.sessionCreatedAt);
    this.string(out, p.sourceIdentity, 17);
    this.string(out, r.errorCode, 18);
    this.string(out, r.errorMessage, 19);
    if (r.kind !== 'assume-role') return;
    this.string(out, r.roleArn, 20);
    this.string(out, r.roleAccountId, 21);
    this.string(out, r.externalId, 22);
    this.string(out, r.providerArn, 23);
    out.push(r.roleSessionName, r.durationSeconds, r.issuedAccessKeyId, r.issuedSessionArn, r.expiresAt, COPY_CODES[r.copy]);
  }

  /**
   * A repeated string's number, or the string (which both sides then remember), or null.
   * `field` names the field: the value it had last time is checked first, which spares most
   * table lookups (a file's records share their account, region, role and caller).
   */
  private string(out: unknown[], value: string | null, field: number): void {
    if (value === null) {
      out.push(null);
      return;
    }
    if (value === this.lastValues[field]) {
      out.push(this.lastIds[field]);
      return;
    }
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(value, id);
      out.push(value);
    } else out.push(id);
    this.lastValues[field] = value;
    this.lastIds[field] = id;
  }
}

/** Decodes results on the engine's thread, in the order they were encoded. */
export class ResultDecoder {
  private table: string[] = [];

  decode(encoded: Encoded): ParseResult[] {
    const a = encoded;
    if (a[0] === 1) this.table = [];
    const table = this.table;
    const results: ParseResult[] = [];
    let i = 1;
    const string = (): string | null => {
      const v = a[i++] as number | string | null;
      if (typeof v === 'number') return table[v]!;
      if (v !== null) table.push(v);
      return v;
    };
    const text = (): string => string() as string;
    const literal = (): string | null => a[i++] as string | null;
    const number = (): number | null => a[i++] as number | null;
    while (i < a.length) {
      const kind = a[i++] as number;
      if (kind === REJECTED) {
        results.push(a[i++] as ParseResult);
        continue;
      }
      const eventId = a[i++] as string;
      const eventTime = a[i++] as number;
      if (kind === IGNORED) {
        results.push({ kind: 'ignored', eventId, eventTime });
        continue;
      }
      const eventName = text();
      const eventSource = text();
      const eventVersion = string();
      const awsRegion = text();
      const recipientAccountId = string();
      const sharedEventId = literal();
      const sourceKind = SOURCE_KINDS[a[i++] as number]!;
      const sourceText = text();
      let source: SourceAddress;
      if (sourceKind === 'ip') {
        const v = a[i++] as number | string;
        const ip: IpAddress = typeof v === 'number' ? { version: 4, value: v } : { version: 6, value: BigInt(`0x${v}`) };
        source = { kind: 'ip', text: sourceText, ip };
      } else source = { kind: sourceKind, text: sourceText } as SourceAddress;
      const userAgent = text();
      const vpcEndpointId = string();
      const type = text();
      const arn = string();
      const accountId = string();
      const principalId = string();
      const accessKeyId = string();
      const userName = string();
      const sessionIssuerArn = string();
      const invokedBy = string();
      const identityProvider = string();
      const flags = a[i++] as number;
      const sessionCreatedAt = number();
      const sourceIdentity = string();
      const principal: Principal = {
        type,
        arn,
        accountId,
        principalId,
        accessKeyId,
        userName,
        sessionIssuerArn,
        invokedBy,
        identityProvider,
        mfaAuthenticated: (flags & 1) !== 0,
        consoleCredentials: (flags & 2) !== 0,
        sessionCreatedAt,
        sourceIdentity,
      };
      const errorCode = string();
      const errorMessage = string();
      // Each kind built whole, as parse.ts does (a spread common part is far slower).
      if (kind === ACTIVITY) {
        results.push({
          kind: 'session-activity',
          eventId,
          eventTime,
          eventName,
          eventSource,
          eventVersion,
          awsRegion,
          recipientAccountId,
          sharedEventId,
          source,
          userAgent,
          vpcEndpointId,
          principal,
          errorCode,
          errorMessage,
        } satisfies SessionActivity);
        continue;
      }
      const roleArn = string();
      const roleAccountId = string();
      const externalId = string();
      const providerArn = string();
      results.push({
        kind: 'assume-role',
        eventId,
        eventTime,
        eventName: eventName as AssumeRoleCall['eventName'],
        eventSource,
        eventVersion,
        awsRegion,
        recipientAccountId,
        sharedEventId,
        source,
        userAgent,
        vpcEndpointId,
        principal,
        errorCode,
        errorMessage,
        roleArn,
        roleAccountId,
        roleSessionName: literal(),
        externalId,
        durationSeconds: number(),
        issuedAccessKeyId: literal(),
        issuedSessionArn: literal(),
        expiresAt: number(),
        providerArn,
        copy: COPIES[a[i++] as number]!,
      } satisfies AssumeRoleCall);
    }
    return results;
  }
}
