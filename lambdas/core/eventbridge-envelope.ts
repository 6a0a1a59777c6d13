/**
 * The EventBridge envelope of a CloudTrail API call, checked before its record is read: only AWS
 * can put an event with an `aws.` source on a bus, so an event that lacks one (or is no
 * CloudTrail API call, or comes from another account or region than the reader's deployment)
 * was put by someone else and is rejected with the reason.
 */
import { quoted as quotedText } from './text';
import { AWS_EVENT_SOURCE_PREFIX, CLOUDTRAIL_DETAIL_TYPE } from './types';

/** The account and regions whose EventBridge events a reader accepts. */
export interface EventOrigin {
  readonly account: string;
  /** Every region of the deployment: forwarded events keep the region they were recorded in. */
  readonly regions: readonly string[];
}

type Json = Record<string, unknown>;

/**
 * Why an EventBridge event is not one AWS put on a bus for a CloudTrail API call (from
 * `eventOrigin`'s account and regions, when given), or null. Anyone allowed `events:PutEvents`
 * can put an event with any detail-type and detail on the bus, but not with an `aws.` source.
 */
export function envelopeProblem(event: Json, eventOrigin?: EventOrigin): string | null {
  const detailType = event['detail-type'];
  if (detailType !== CLOUDTRAIL_DETAIL_TYPE) return `detail-type: ${quoted(detailType)} is not ${JSON.stringify(CLOUDTRAIL_DETAIL_TYPE)}`;
  const source = event.source;
  if (typeof source !== 'string' || !source.startsWith(AWS_EVENT_SOURCE_PREFIX)) {
    return `source: ${quoted(source)} is not an AWS service's (only AWS can put events whose source begins with "${AWS_EVENT_SOURCE_PREFIX}")`;
  }
  if (eventOrigin === undefined) return null;
  if (event.account !== eventOrigin.account) return `account: ${quoted(event.account)} is not this deployment's account ${eventOrigin.account}`;
  if (typeof event.region !== 'string' || !eventOrigin.regions.includes(event.region)) {
    return `region: ${quoted(event.region)} is not one of this deployment's regions (${eventOrigin.regions.join(', ')})`;
  }
  return null;
}

/**
 * Why a document that must be one EventBridge event (a message of a queue only EventBridge
 * feeds) is not one at all, or null when it has the form of one.
 */
export function notAnEvent(doc: unknown): string | null {
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'detail' in doc) return null;
  const what = Array.isArray(doc) ? 'an array'
    : typeof doc !== 'object' || doc === null ? (doc === null ? 'null' : `a ${typeof doc}`)
      : 'Records' in doc ? 'a CloudTrail log file' : 'an object without detail';
  return `expected an EventBridge event of a CloudTrail API call, got ${what}`;
}

/** Longest part of an input value a rejection reason quotes. */
const MAX_QUOTED_CHARS = 64;

/** An input value as a reason quotes it: a string as {@link quotedText} shows it (printable ASCII, cut), anything else by its type. */
function quoted(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v !== 'string') return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  return quotedText(v, MAX_QUOTED_CHARS);
}
