/**
 * The generator's only source of randomness: sfc32 seeded by hashing a label (cyrb128), never
 * the clock or Math.random, so the same options give byte-identical output. Every stream is
 * labelled by what it is for (`seed|hour|17`), so adding draws to one stream leaves the others
 * as they were.
 */

/** Upper-case letters and digits: IAM unique IDs and access key IDs. */
export const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Letters and digits: CloudTrail log file name suffixes. */
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Base64 characters: session tokens, S3 `x-amz-id-2`. */
export const BASE64 = `${ALNUM}+/`;
/** Lower-case hex: task IDs, instance IDs. */
export const HEX = '0123456789abcdef';

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number): string => BYTE_HEX[n >>> 24]! + BYTE_HEX[(n >>> 16) & 255]! + BYTE_HEX[(n >>> 8) & 255]! + BYTE_HEX[n & 255]!;

/** sfc32: 128-bit state, so independently seeded streams do not overlap in practice. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream seeded by hashing `label`: equal labels give equal streams. */
  constructor(label: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(label);
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** `n` characters drawn uniformly from `alphabet`. */
  chars(alphabet: string, n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  /** Hex that always has a digit and a letter, so name shapes never fold differently by chance. */
  mixedHex(n: number): string {
    for (;;) {
      const s = this.chars(HEX, n);
      if (/[0-9]/.test(s) && /[a-f]/.test(s)) return s;
    }
  }

  /** A version-4 UUID, lower case. */
  uuid(): string {
    const s = hex8(this.u32()) + hex8((this.u32() & 0xffff0fff) | 0x4000) + hex8((this.u32() & 0x3fffffff) | 0x80000000) + hex8(this.u32());
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/** The stream of `seed` labelled by `parts` (`rngFor(1, 'hour', 17)`). */
export const rngFor = (seed: number, ...parts: (string | number)[]): Rng => new Rng(`${seed}|${parts.join('|')}`);
