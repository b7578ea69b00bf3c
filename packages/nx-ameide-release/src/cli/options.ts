import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ReleaseError } from '../errors';

/*
 * What every subcommand shares: the usage error, the options taking a value, --cwd, --format, and
 * the action wrapper that keeps the exit code and refuses stray arguments. Light on purpose:
 * `context` (every Nx task) loads this and commander, nothing of the evidence, trace or registries.
 */

/** One subcommand: a file in cli/ exporting `register`, listed once in cli/index.ts. */
export interface Subcommand {
  register(program: Command): void;
}

export function usageError(what: string): ReleaseError {
  return new ReleaseError(what, 'see nx-ameide-release --help');
}

/**
 * An option taking a value. Where its value should be, a flag (`--sha --key k.pub`) is refused
 * rather than taken as the value (commander would take it); `check` refuses a bad value by name.
 */
export function valueOption(flags: string, description: string, check?: (value: string) => void): Option {
  const option = new Option(flags, description);
  return option.argParser((value: string) => {
    if (value.startsWith('--')) throw usageError(`${option.long} needs a value`);
    check?.(value);
    return value;
  });
}

/** --format: one of `formats`, the first the default; `command` names the subcommand in the refusal. */
export function formatOption(command: string | undefined, formats: readonly string[], description: string): Option {
  return valueOption('--format <format>', description, (value) => {
    if (!formats.includes(value)) throw usageError(`${command ? `${command} ` : ''}--format must be one of ${formats.join(', ')}, got ${value}`);
  }).default(formats[0]);
}

export const cwdOption = (what = 'checkout to read') => valueOption('--cwd <dir>', `${what} (default: the current directory)`);

/** The directory a command reads: --cwd, else the current one. */
export const workdir = (options: { cwd?: string }): string => resolve(options.cwd ?? process.cwd());

/** A 40-hex commit. */
export const FULL_SHA = /^[0-9a-f]{40}$/;

const exitCodes = new WeakMap<Command, number>();

/**
 * The action of a subcommand: `run` gets the parsed options and the arguments and returns the exit
 * code (commander ignores what an action returns: it is kept here for main). Arguments beyond the
 * declared ones are refused by name, before `run`.
 */
export function action<O>(command: Command, run: (options: O, args: string[]) => Promise<number>): Command {
  return command.allowExcessArguments().action(async (...received: unknown[]) => {
    const cmd = received[received.length - 1] as Command;
    const declared = cmd.registeredArguments;
    if (!declared.some((a) => a.variadic) && cmd.args.length > declared.length) throw usageError(`unexpected argument ${JSON.stringify(cmd.args[declared.length])}`);
    let root = cmd;
    while (root.parent) root = root.parent;
    exitCodes.set(root, await run(cmd.opts<O & Record<string, unknown>>(), cmd.args));
  });
}

/** The exit code of the action the program ran (0 when none did, e.g. help). */
export const exitCodeOf = (program: Command): number => exitCodes.get(program) ?? 0;

const afterTexts = new WeakMap<Command, string>();

/** Text under a command's options in its --help (notes, examples); the manual (`--help`) shows it too. */
export function helpAfter(command: Command, text: string): Command {
  afterTexts.set(command, text);
  return command.addHelpText('after', `\n${text}`);
}

/** A command's whole help page: commander's, then its text from helpAfter. */
export function helpPage(command: Command): string {
  const after = afterTexts.get(command);
  return `${command.helpInformation()}${after ? `\n${after}\n` : ''}`;
}
