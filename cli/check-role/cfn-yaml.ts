/**
 * CloudFormation's YAML, and JSON, read into the long form (`!Sub x` → `{"Fn::Sub": "x"}`), with
 * the line each object and array began on, so a finding can point at its statement.
 *
 * Every YAML scalar is kept as a string (js-yaml's failsafe schema), as CloudFormation reads
 * them: `Version: 2012-10-17` is no date, account `061190967865` keeps its leading zero, and
 * `!Equals [!Ref Flag, true]` compares strings, as the service does. JSON keeps JSON's types
 * (a plan's `null` is no text), and the template reader turns numbers into text where it needs.
 */
import * as yaml from 'js-yaml';

/** A parsed document and the line (1-based) where each of its objects and arrays began. */
export interface ParsedDocument {
  readonly value: unknown;
  readonly lines: WeakMap<object, number>;
}

/** A document that is neither YAML nor JSON; `line` is 1-based when the parser knows it. */
export class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
    this.name = 'SyntaxProblem';
  }
}

/** The short-form tags CloudFormation documents, with the long form each stands for. */
export const SHORT_FORM_TAGS: Readonly<Record<string, string>> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Sub: 'Fn::Sub',
  GetAtt: 'Fn::GetAtt',
  If: 'Fn::If',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  ImportValue: 'Fn::ImportValue',
  Base64: 'Fn::Base64',
  GetAZs: 'Fn::GetAZs',
  Cidr: 'Fn::Cidr',
  Transform: 'Fn::Transform',
  Length: 'Fn::Length',
  ToJsonString: 'Fn::ToJsonString',
};

/** `!GetAtt Role.Arn` is the list `[Role, Arn]`; the attribute may itself hold dots. */
function getAttScalar(text: string): unknown {
  const dot = text.indexOf('.');
  return dot < 0 ? text : [text.slice(0, dot), text.slice(dot + 1)];
}

/** One js-yaml type per tag and node kind: a tag may take a scalar, a list or a mapping. */
function cfnTypes(): yaml.Type[] {
  const types: yaml.Type[] = [];
  for (const [tag, long] of Object.entries(SHORT_FORM_TAGS)) {
    for (const kind of ['scalar', 'sequence', 'mapping'] as const) {
      types.push(
        new yaml.Type(`!${tag}`, {
          kind,
          construct: (data: unknown) => {
            const value = data ?? (kind === 'scalar' ? '' : kind === 'sequence' ? [] : {});
            return { [long]: tag === 'GetAtt' && typeof value === 'string' ? getAttScalar(value) : value };
          },
        }),
      );
    }
  }
  return types;
}

const SCHEMA = yaml.FAILSAFE_SCHEMA.extend(cfnTypes());

/** The start offset of each line of `text`. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The 1-based line of offset `at`. */
function lineAt(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The offset of the first character at or after `at` that is not blank or in a comment. */
function contentFrom(text: string, at: number): number {
  let i = at;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ',') i++;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else break;
  }
  return i;
}

/**
 * Parses YAML (CloudFormation's tags included) or JSON. `json` reads JSON's types and makes a
 * duplicate key keep the last value, as JSON.parse does, instead of failing.
 */
export function parseDocument(text: string, options: { json?: boolean } = {}): ParsedDocument {
  const lines = new WeakMap<object, number>();
  const starts = lineStarts(text);
  const opened: number[] = [];
  let last: { result: unknown; depth: number } = { result: undefined, depth: -1 };
  try {
    const value = yaml.load(text, {
      // JSON's own types (null, true, numbers) for JSON; CloudFormation's strings and tags for YAML.
      schema: options.json === true ? yaml.JSON_SCHEMA : SCHEMA,
      json: options.json === true,
      listener(event, state) {
        if (event === 'open') {
          opened.push(state.position);
          return;
        }
        const at = opened.pop() ?? 0;
        const result = state.result as unknown;
        // js-yaml's state has a depth its types do not declare.
        const depth = (state as unknown as { depth: number }).depth;
        const previous = last;
        last = { result, depth };
        if (typeof result !== 'object' || result === null) return;
        if (lines.has(result)) {
          // A node closes again one level up when the parser wraps it (a flow collection at the top):
          // the same node. Met again elsewhere it is an alias (`*name`), which could make a few
          // lines stand for billions of nodes: refused rather than expanded.
          if (previous.result === result && previous.depth === depth + 1) return;
          throw new SyntaxProblem('a YAML alias (*name) repeats a mapping or list; aliases are not read (write the node out)', lineAt(starts, contentFrom(text, at)));
        }
        lines.set(result, lineAt(starts, contentFrom(text, at)));
      },
    });
    return { value, lines };
  } catch (e) {
    if (e instanceof SyntaxProblem) throw e;
    const err = e as yaml.YAMLException;
    const line = typeof err.mark?.line === 'number' ? err.mark.line + 1 : null;
    throw new SyntaxProblem(err.reason ?? err.message, line);
  }
}
