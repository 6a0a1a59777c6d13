/**
 * The command line's grammar: each command declares its options once ({@link CommandSpec}), and
 * that one declaration parses the arguments (Node's `util.parseArgs`, strict), answers `-h` /
 * `--help` with the command's help, suggests the option a typo meant, and renders the help text
 * the README's command-line section is checked against.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../lambdas/core/config-values';

/** A usage mistake: printed with the command's help line, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show. */
    readonly command?: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in the help (`FILE`, `N`). */
  readonly value?: string;
  /** May be given several times (each value kept). */
  readonly multiple?: boolean;
  /** One line for the help: what it does, and its default. */
  readonly help: string;
}

/** A command: its name, what it does, its positional arguments and its options. */
export interface CommandSpec {
  readonly name: string;
  /** One line: what the command does. */
  readonly summary: string;
  /** The positional part of the usage line, e.g. `<path|dir|-|s3://…> ...`. */
  readonly operands: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Paragraphs after the options (formats, exit codes). */
  readonly details?: string;
}

/** What a command's arguments say. */
export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** `-h` / `--help` was given: print {@link commandHelp} and stop. */
  readonly help: boolean;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help and exit' };

/** `util.parseArgs`' error codes for an option it does not know, and for a value where none goes. */
const UNKNOWN = 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
const INVALID = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';

/**
 * Parses a command's arguments. An unknown option is a {@link UsageError} naming it and, when one
 * is close, the option meant (`--confg` → `--config`); so is an option missing its value.
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as ParsedCommand['values'], positionals, help: values.help === true };
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    if (error.code === UNKNOWN) {
      const flag = /'([^']+)'/.exec(error.message)?.[1] ?? error.message;
      const name = flag.replace(/^-+/, '').replace(/=.*$/, '');
      const guess = closest(name, Object.keys(spec.options));
      throw new UsageError(`unknown option ${flag}${guess ? ` (did you mean --${guess}?)` : ''}`, spec);
    }
    if (error.code === INVALID) {
      // "Option '-c, --config <value>' argument missing": the long name is the one users know.
      const which = /--[\w-]+/.exec(error.message)?.[0] ?? /'(-\w)/.exec(error.message)?.[1] ?? 'an option';
      throw new UsageError(/argument missing/.test(error.message) ? `${which} needs a value` : `${which}: ${error.message}`, spec);
    }
    throw new UsageError(error.message, spec);
  }
}

/** The usage line of a command. */
export function usageLine(program: string, spec: CommandSpec): string {
  return `${program} ${spec.name} ${spec.operands} [options]`;
}

/** A command's full help: usage, summary, every option with its value and meaning, details. */
export function commandHelp(program: string, spec: CommandSpec): string {
  const rows = [...Object.entries(spec.options), ['help', HELP_OPTION] as const].map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = [`usage: ${usageLine(program, spec)}`, '', spec.summary, '', 'options:', ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`)];
  if (spec.details) lines.push('', spec.details);
  return lines.join('\n');
}

/** A whole number ≥ `min` given to `flag`, else a {@link UsageError}. */
export function wholeNumber(flag: string, value: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got ${JSON.stringify(value)}`);
  }
  return n;
}
