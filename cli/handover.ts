/**
 * How parse results cross from the replay's reader thread to the engine. A structured clone of
 * the result objects costs more than parsing them (every string and object is rebuilt on the
 * other side); here each result becomes a run of numbers in one flat array, and a string that
 * repeats (a role ARN, a session, a user agent, an address) crosses once and is named by its
 * number after that. Unique strings (event IDs, issued keys) are sent as they are.
 *
 * The encoder and the decoder keep the same string table: messages must be decoded in the order
 * they were encoded (a worker's messages arrive in the order it posts them).
 *
 * What crosses, field by field, is declared once, in handover-fields.ts. Both sides are generated
 * from that table when this module loads (`new Function`), as the straight-line code one would
 * write by hand: a loop interpreting the table reads and writes properties by computed name, and
 * measured 1.4 times slower to encode and 6 times slower to decode. The decoder builds each
 * object in one literal, in table order, so it gets the hidden class parse.ts's objects have.
 */
import type { ParseResult } from '../lambdas/core/parse';
import { KINDS, SOURCE_CODES, type Codec, type FieldTable } from './handover-fields';

/** One file's results, as they cross between threads. */
export type Encoded = readonly unknown[];

/** Repeated strings both sides remember, before they start again from empty. */
const DEFAULT_TABLE_SIZE = 65_536;

/** The encoder's memory of repeated strings; `lastValues` and `lastIds` have a slot per repeated field. */
interface Strings {
  readonly ids: Map<string, number>;
  readonly lastValues: (string | undefined)[];
  readonly lastIds: number[];
}

/**
 * Sends a repeated string's number, or the string (which both sides then remember), or null.
 * `slot` names the field: the value it had last time is checked first, which spares most
 * table lookups (a file's records share their account, region, role and caller).
 */
function repeat(s: Strings, out: unknown[], value: string | null, slot: number): void {
  if (value === null) {
    out.push(null);
    return;
  }
  if (value === s.lastValues[slot]) {
    out.push(s.lastIds[slot]);
    return;
  }
  let id = s.ids.get(value);
  if (id === undefined) {
    id = s.ids.size;
    s.ids.set(value, id);
    out.push(value);
  } else out.push(id);
  s.lastValues[slot] = value;
  s.lastIds[slot] = id;
}

// The classes below run `codec`: the two functions compiled from the field table at the end of this file.
type EncodeAll = (s: Strings, out: unknown[], results: readonly ParseResult[]) => void;
type DecodeAll = (a: Encoded, table: string[], results: ParseResult[]) => void;

/** Encodes results on the reader thread. */
export class ResultEncoder {
  private readonly strings: Strings = {
    ids: new Map<string, number>(),
    lastValues: new Array<string | undefined>(codec.slots).fill(undefined),
    lastIds: new Array<number>(codec.slots).fill(0),
  };

  constructor(private readonly tableSize = DEFAULT_TABLE_SIZE) {}

  /** One file's results as a message; decode it after every message encoded before it. */
  encode(results: readonly ParseResult[]): Encoded {
    const out: unknown[] = [];
    // A full table starts again, on both sides, at a message boundary.
    if (this.strings.ids.size >= this.tableSize) {
      this.strings.ids.clear();
      this.strings.lastValues.fill(undefined);
      out.push(1);
    } else out.push(0);
    codec.encode(this.strings, out, results);
    return out;
  }
}

/** Decodes results on the engine's thread, in the order they were encoded. */
export class ResultDecoder {
  private table: string[] = [];

  /** The results of one message, which must be the next one its encoder produced. */
  decode(encoded: Encoded): ParseResult[] {
    if (encoded[0] === 1) this.table = [];
    const results: ParseResult[] = [];
    codec.decode(encoded, this.table, results);
    return results;
  }
}

// ---------------------------------------------------------------------------------------------
// The compiler: the field table to JavaScript source, once. Names in the source are the table's
// own keys (checked to be identifiers) and values are JSON literals, so nothing else gets in.
// ---------------------------------------------------------------------------------------------

/** Field names become property names in the generated source: only plain identifiers may. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** The generated switch cases' indent (the source is for reading in a debugger's stack traces). */
const INDENT = '        ';
/** Flags share one number per object, a bit each; bitwise operators work on 32-bit integers. */
const MAX_FLAGS = 31;

/** The encoder and the decoder compiled from the field table. */
interface Compiled {
  readonly encode: EncodeAll;
  readonly decode: DecodeAll;
  /** Repeated-string fields, one last-value slot each. */
  readonly slots: number;
}

/** Generates the encoder's and the decoder's source from {@link KINDS} and compiles it. */
function compile(): Compiled {
  // Values the generated code closes over, by the parameter name it knows them by.
  const scope = new Map<string, unknown>();
  const bind = (name: string, value: unknown): string => {
    if (scope.has(name)) throw new Error(`handover: two fields are named ${name} in the generated source`);
    scope.set(name, value);
    return name;
  };
  bind('repeat', repeat);
  bind('sourceKinds', valuesByCode(SOURCE_CODES, 'source'));
  bind('sourceCodes', SOURCE_CODES);
  // An enum field's code table (encoder) and values by code (decoder), named after its path.
  const enumNames = new Map<string, { readonly codes: string; readonly values: string }>();
  const enumOf = (at: string, codes: Readonly<Record<string, number>>): { readonly codes: string; readonly values: string } => {
    let names = enumNames.get(at);
    if (names === undefined) {
      const name = at.replace(/\./g, '_');
      names = { codes: bind(`codes_${name}`, codes), values: bind(`values_${name}`, valuesByCode(codes, at)) };
      enumNames.set(at, names);
    }
    return names;
  };
  // A repeated field keeps its slot in every kind (both calls share their common fields' slots).
  const slots = new Map<string, number>();
  const slotOf = (path: string): number => {
    let slot = slots.get(path);
    if (slot === undefined) slots.set(path, (slot = slots.size));
    return slot;
  };
  let temps = 0;
  const encodeCases: string[] = [];
  const decodeCases: string[] = [];
  let flagVars = 0;
  const seenCodes = new Set<number>();

  /** Statements that append object `o`'s fields (of `table`) to `out`. */
  const encodeFields = (table: FieldTable, o: string, path: string, lines: string[], first: string[] = []): void => {
    // Plain values are pushed together, as a hand-written encoder would.
    let pending = first;
    const flush = (): void => {
      if (pending.length > 0) lines.push(`out.push(${pending.join(', ')});`);
      pending = [];
    };
    const flags = flagsOf(table, path);
    for (const [name, c] of Object.entries(table)) {
      const value = `${o}.${name}`;
      const at = `${path}${name}`;
      if (c === 'repeated') {
        flush();
        lines.push(`repeat(s, out, ${value}, ${slotOf(at)});`);
      } else if (c === 'literal' || c === 'number') pending.push(value);
      else if (c === 'flag') {
        if (name === flags[0]) pending.push(flags.map((f, bit) => `(${o}.${f} ? ${1 << bit} : 0)`).join(' | '));
      } else if (c === 'source') {
        const t = `t${temps++}`;
        lines.push(`const ${t} = ${value};`);
        pending.push(`sourceCodes[${t}.kind]`);
        flush();
        lines.push(`repeat(s, out, ${t}.text, ${slotOf(`${at}.text`)});`);
        lines.push(`if (${t}.kind === 'ip') out.push(${t}.ip.version === 4 ? ${t}.ip.value : ${t}.ip.value.toString(16));`);
      } else if ('codes' in c) pending.push(`${enumOf(at, c.codes).codes}[${value}]`);
      else {
        const t = `t${temps++}`;
        flush();
        lines.push(`const ${t} = ${value};`);
        encodeFields(c.fields, t, `${at}.`, lines);
      }
    }
    flush();
  };

  /** An object literal of `table`'s fields, each read from the message in table order. */
  const decodeFields = (table: FieldTable, path: string, first: string | null, indent: string): string => {
    const flags = flagsOf(table, path);
    const f = flags.length > 0 ? `f${flagVars++}` : '';
    const props = first === null ? [] : [first];
    for (const [name, c] of Object.entries(table)) {
      const at = `${path}${name}`;
      props.push(`${name}: ${decodeValue(c, at, name === flags[0] ? `(${f} = a[i++])` : f, flags.indexOf(name), `${indent}  `)}`);
    }
    return `{\n${props.map((p) => `${indent}  ${p},\n`).join('')}${indent}}`;
  };
  const decodeValue = (c: Codec, at: string, flagWord: string, bit: number, indent: string): string => {
    if (c === 'repeated') return REPEATED;
    if (c === 'literal' || c === 'number') return 'a[i++]';
    if (c === 'flag') return `(${flagWord} & ${1 << bit}) !== 0`;
    if (c === 'source') {
      const ip = `typeof (v = a[i++]) === 'number' ? { version: 4, value: v } : { version: 6, value: BigInt('0x' + v) }`;
      return `(k = sourceKinds[a[i++]], t = ${REPEATED}, k === 'ip' ? { kind: k, text: t, ip: ${ip} } : { kind: k, text: t })`;
    }
    if ('codes' in c) return `${enumOf(at, c.codes).values}[a[i++]]`;
    return decodeFields(c.fields, `${at}.`, null, indent);
  };

  for (const [kind, { code, fields }] of Object.entries(KINDS) as [string, { code: number; fields: FieldTable | 'whole' }][]) {
    if (seenCodes.has(code)) throw new Error(`handover KINDS.${kind}: code ${code} is taken by another kind`);
    seenCodes.add(code);
    if (fields === 'whole') {
      encodeCases.push(`case ${JSON.stringify(kind)}: out.push(${code}, r); break;`);
      decodeCases.push(`case ${code}: results.push(a[i++]); break;`);
      continue;
    }
    const lines: string[] = [];
    encodeFields(fields, 'r', '', lines, [`${code}`]);
    encodeCases.push(`case ${JSON.stringify(kind)}: {\n${lines.map((l) => `${INDENT}  ${l}\n`).join('')}${INDENT}  break;\n${INDENT}}`);
    decodeCases.push(`case ${code}:\n${INDENT}  results.push(${decodeFields(fields, '', `kind: ${JSON.stringify(kind)}`, `${INDENT}  `)});\n${INDENT}  break;`);
  }

  const flagDecls = Array.from({ length: flagVars }, (_, n) => `, f${n}`).join('');
  const source = `return {
  encode(s, out, results) {
    for (let n = 0; n < results.length; n++) {
      const r = results[n];
      switch (r.kind) {
${encodeCases.map((c) => `${INDENT}${c}\n`).join('')}${INDENT}default:
${INDENT}  throw new Error('handover: no codec for a result of kind ' + r.kind);
      }
    }
  },
  decode(a, table, results) {
    let i = 1, v, k, t${flagDecls};
    while (i < a.length) {
      switch (a[i++]) {
${decodeCases.map((c) => `${INDENT}${c}\n`).join('')}${INDENT}default:
${INDENT}  throw new Error('handover: unknown result code ' + a[i - 1] + ' at ' + (i - 1));
      }
    }
  },
};
//# sourceURL=handover-codec.generated.js
`;
  const built = new Function(...scope.keys(), source)(...scope.values()) as { encode: EncodeAll; decode: DecodeAll };
  return { ...built, slots: slots.size };
}

/** Decodes a repeated string: a number names one seen before; a string is new and remembered. */
const REPEATED = `(typeof (v = a[i++]) === 'number' ? table[v] : v === null ? null : (table.push(v), v))`;

/** The flag fields of `table`, in order (checked: at most {@link MAX_FLAGS}); also checks the names. */
function flagsOf(table: FieldTable, path: string): string[] {
  const names = Object.keys(table);
  for (const name of names) if (!IDENTIFIER.test(name)) throw new Error(`handover field ${path}${name}: not an identifier`);
  const flags = names.filter((name) => table[name] === 'flag');
  if (flags.length > MAX_FLAGS) throw new Error(`handover fields ${path}*: ${flags.length} flags, at most ${MAX_FLAGS} fit one number`);
  return flags;
}

/** An enum's values indexed by code; the codes must be 0, 1, 2… without gaps. */
function valuesByCode(codes: Readonly<Record<string, number>>, path: string): string[] {
  const values: string[] = [];
  for (const [value, code] of Object.entries(codes)) {
    if (!Number.isInteger(code) || code < 0 || values[code] !== undefined) throw new Error(`handover field ${path}: code ${code} of ${JSON.stringify(value)} is not a free integer ≥ 0`);
    values[code] = value;
  }
  for (let code = 0; code < values.length; code++) if (values[code] === undefined) throw new Error(`handover field ${path}: no value has code ${code}`);
  return values;
}

/** Compiled when the module loads (after the constants the compiler uses); the classes use it. */
const codec = compile();
