/**
 * CloudFormation's intrinsic functions and conditions, evaluated as far as a template alone
 * allows. What cannot be known before the stack exists becomes text `${Name}` (a parameter
 * without a value, a pseudo parameter other than the partition, an attribute, an import), and an
 * `Fn::If` on a condition that cannot be decided stays as an {@link Either} of both branches.
 */
import { isSymbolic, strings } from './policy';

/** `AWS::NoValue`: the property or list item is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** An `Fn::If`: both branches, the condition, and what the parameters make of it (null when unknown). */
export class Either {
  constructor(
    readonly condition: string,
    readonly whenTrue: unknown,
    readonly whenFalse: unknown,
    readonly byDefault: boolean | null,
  ) {}
}

/** An `Fn::Transform` (a macro): its output is known only when the stack is created. */
export class Macro {
  constructor(readonly name: string) {}
}

/** What a template says about its values. */
export interface TemplateContext {
  /** Parameter values: given on the command line, else the default; lists for list types. */
  readonly params: ReadonlyMap<string, string | string[]>;
  readonly declared: ReadonlySet<string>;
  readonly resources: Readonly<Record<string, Record<string, unknown>>>;
  readonly mappings: Readonly<Record<string, unknown>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  /** Lines of the parsed nodes; resolved copies are given their original's line. */
  readonly lines: WeakMap<object, number>;
}

/** How a branch of an `Fn::If` is described: `Cond is true, which it is not with the default parameters`. */
export function describeBranch(e: Either, branch: boolean): string {
  const base = `condition ${e.condition} is ${branch}`;
  if (e.byDefault === null) return base;
  return `${base}, which it ${e.byDefault === branch ? 'is' : 'is not'} with the default parameters`;
}

/** Values the partition and URL suffix pseudo parameters take in the commercial partition. */
const PSEUDO: Readonly<Record<string, string>> = { 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };

/** The single key of an intrinsic's object form, or null for an ordinary object. */
function intrinsicKey(node: Record<string, unknown>): string | null {
  const keys = Object.keys(node);
  if (keys.length !== 1) return null;
  const k = keys[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::') ? k : null;
}

/** Evaluates the template's conditions from the parameter values; null when they cannot be known. */
export class ConditionEvaluator {
  private readonly cache = new Map<string, boolean | null>();
  private resolver: Resolver | null = null;

  constructor(private readonly ctx: TemplateContext) {}

  /** A named condition of the template. */
  evaluate(name: string): boolean | null {
    if (this.cache.has(name)) return this.cache.get(name)!;
    this.cache.set(name, null); // a condition that refers to itself stays unknown
    const value = name in this.ctx.conditions ? this.expression(this.ctx.conditions[name]) : null;
    this.cache.set(name, value);
    return value;
  }

  /** A condition expression: Fn::Equals, Not, And, Or, Condition. */
  expression(node: unknown): boolean | null {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return null;
    const record = node as Record<string, unknown>;
    const key = intrinsicKey(record);
    const arg = key === null ? undefined : record[key];
    const list = Array.isArray(arg) ? arg : [];
    switch (key) {
      case 'Condition':
        return typeof arg === 'string' ? this.evaluate(arg) : null;
      case 'Fn::Equals': {
        this.resolver ??= new Resolver(this.ctx, this, false);
        const [a, b] = list.map((v) => this.resolver!.resolve(v));
        return typeof a === 'string' && typeof b === 'string' && !isSymbolic(a) && !isSymbolic(b) ? a === b : null;
      }
      case 'Fn::Not': {
        const v = this.expression(list[0]);
        return v === null ? null : !v;
      }
      case 'Fn::And': {
        const vs = list.map((v) => this.expression(v));
        return vs.includes(false) ? false : vs.every((v) => v === true) ? true : null;
      }
      case 'Fn::Or': {
        const vs = list.map((v) => this.expression(v));
        return vs.includes(true) ? true : vs.every((v) => v === false) ? false : null;
      }
      default:
        return null;
    }
  }
}

/** Resolves intrinsics; `union` keeps both branches of every `Fn::If` (for permissions). */
export class Resolver {
  constructor(
    private readonly ctx: TemplateContext,
    private readonly conditions: ConditionEvaluator,
    private readonly union: boolean,
  ) {}

  /** A node with its intrinsics resolved. */
  resolve(node: unknown): unknown {
    if (node instanceof Either || node instanceof Macro || node === NO_VALUE) return node;
    if (Array.isArray(node)) return this.keepLine(node, node.map((n) => this.resolve(n)).filter((v) => v !== NO_VALUE));
    // CloudFormation reads every scalar as a string: 3600 and "3600", true and "true" are alike.
    if (typeof node === 'number' || typeof node === 'boolean') return String(node);
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    const key = intrinsicKey(record);
    if (key !== null) return this.keepLine(node, this.intrinsic(key, record[key]));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      const r = this.resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return this.keepLine(node, out);
  }

  private keepLine<T>(from: object, to: T): T {
    if (typeof to === 'object' && to !== null && this.ctx.lines.has(from) && !this.ctx.lines.has(to)) this.ctx.lines.set(to, this.ctx.lines.get(from)!);
    return to;
  }

  /** A name a `Ref` or `${…}` may refer to, resolved. */
  private reference(name: string): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in PSEUDO) return PSEUDO[name];
    const param = this.ctx.params.get(name);
    return param !== undefined ? param : `\${${name}}`;
  }

  /** `Fn::Sub`'s template with its variables and references replaced where they are known. */
  private sub(arg: unknown): unknown {
    const [text, vars] = Array.isArray(arg) ? [arg[0], (arg[1] ?? {}) as Record<string, unknown>] : [arg, {} as Record<string, unknown>];
    if (typeof text !== 'string') return '${Fn::Sub}';
    return text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      const value = name in vars ? this.resolve(vars[name]) : name.includes('.') ? `\${${name}}` : this.reference(name);
      return typeof value === 'string' ? value : whole;
    });
  }

  private intrinsic(key: string, arg: unknown): unknown {
    const list = Array.isArray(arg) ? arg : [];
    switch (key) {
      case 'Ref':
        return typeof arg === 'string' ? this.reference(arg) : '${Ref}';
      case 'Condition': {
        const v = typeof arg === 'string' ? this.conditions.evaluate(arg) : null;
        return v === null ? `\${Condition:${String(arg)}}` : String(v);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::GetAtt':
        return `\${${Array.isArray(arg) ? arg.map((a) => strings(this.resolve(a))[0] ?? '?').join('.') : String(arg)}}`;
      case 'Fn::Join': {
        const sep = this.resolve(list[0]);
        const items = this.resolve(list[1]);
        if (typeof sep !== 'string' || !Array.isArray(items) || items.some((i) => typeof i === 'object' || i === NO_VALUE)) return '${Fn::Join}';
        return items.map((i) => String(i)).join(sep);
      }
      case 'Fn::Select': {
        const index = Number(this.resolve(list[0]));
        const items = this.resolve(list[1]);
        return Array.isArray(items) && Number.isInteger(index) && index >= 0 && index < items.length ? items[index] : '${Fn::Select}';
      }
      case 'Fn::Split': {
        const sep = this.resolve(list[0]);
        const text = this.resolve(list[1]);
        return typeof sep === 'string' && typeof text === 'string' && !isSymbolic(text) ? text.split(sep) : '${Fn::Split}';
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = list.map((v) => this.resolve(v));
        const found = typeof map === 'string' && typeof top === 'string' && typeof second === 'string' ? (this.ctx.mappings[map] as Record<string, Record<string, unknown>> | undefined)?.[top]?.[second] : undefined;
        return found === undefined ? '${Fn::FindInMap}' : this.resolve(found);
      }
      case 'Fn::If': {
        const [name, a, b] = list as [unknown, unknown, unknown];
        const value = typeof name === 'string' ? this.conditions.evaluate(name) : null;
        if (!this.union && value !== null) return this.resolve(value ? a : b);
        return new Either(String(name), this.resolve(a), this.resolve(b), value);
      }
      case 'Fn::Base64': {
        const v = this.resolve(arg);
        return typeof v === 'string' && !isSymbolic(v) ? Buffer.from(v, 'utf8').toString('base64') : '${Fn::Base64}';
      }
      case 'Fn::ImportValue': {
        const v = this.resolve(arg);
        return `\${Fn::ImportValue:${typeof v === 'string' ? v.replace(/[${}]/g, '') : '?'}}`;
      }
      case 'Fn::Transform': {
        const spec = (Array.isArray(arg) ? arg[0] : arg) as Record<string, unknown> | undefined;
        return new Macro(typeof spec?.Name === 'string' ? spec.Name : 'unknown');
      }
      default:
        return `\${${key}}`;
    }
  }
}
