import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { contextDigest, formatContext, resolveContext, type ContextFormat } from './context';
import { ReleaseError } from './errors';
import { GitFactsError, readHeadSha } from './git';
import { DEFAULT_VERSION_OPTIONS } from './version/compute';
import type { VersionOptions } from './version/types';

const FORMATS = ['json', 'env', 'github-output', 'digest'] as const;
type Format = (typeof FORMATS)[number];

const kebab = (camel: string) => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every context option is a flag, named after it: npmDevVersion -> --npm-dev-version. */
const OPTION_FLAGS = new Map(
  (Object.keys(DEFAULT_VERSION_OPTIONS) as (keyof VersionOptions)[]).map((k) => [kebab(k), k] as const),
);

const HELP = `nx-ameide-release: the version context of a git checkout

Usage:
  nx-ameide-release context [options]

Options:
  --cwd <dir>                  checkout to read (default: the current directory)
  --format <f>                 json (default) | env | github-output | digest
                                 env: KEY=VALUE lines (GHCR_TAGS comma-separated)
                                 github-output: the env lines appended to $GITHUB_OUTPUT
                                 digest: sha256 of the context, one line (an Nx cache input;
                                 prints no-git / no-commits outside a usable repository)
  --ref <ref>                  ref deciding the channel; wins over GITHUB_REF and local git
                                 (refs/tags/v1.2.3, refs/heads/main, or short: v1.2.3, main)
  --npm-dev-version <tpl>      default ${DEFAULT_VERSION_OPTIONS.npmDevVersion}
  --pypi-dev-version <tpl>     default ${DEFAULT_VERSION_OPTIONS.pypiDevVersion}
  --dev-base <b>               latest-tag (default) | next-patch
  --main-branch <name>         default ${DEFAULT_VERSION_OPTIONS.mainBranch}
  --allow-backport             release a tag below the highest vX.Y.Z (latest and X.Y stay put)
  -h, --help                   this text

Placeholders: {base} {sha} {shortSha} {date} {datetime} {major} {minor} {patch}.
Options also come from the @ameideio/nx-ameide-release plugin entry in nx.json; flags win.
With AMEIDE_CONTEXT_FILE set, the context saved there (json or env) is used, after
checking that its GIT_SHA is HEAD.
`;

interface Parsed {
  command?: string;
  help: boolean;
  cwd?: string;
  format: Format;
  ref?: string;
  options: VersionOptions;
}

function usageError(what: string): ReleaseError {
  return new ReleaseError(what, 'see nx-ameide-release --help');
}

function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { help: false, format: 'json', options: {} };
  const options = parsed.options as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      parsed.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (parsed.command) throw usageError(`unexpected argument ${JSON.stringify(arg)}`);
      parsed.command = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const negated = name.startsWith('no-') && OPTION_FLAGS.has(name.slice(3));
    if (negated) name = name.slice(3);
    const key = OPTION_FLAGS.get(name);
    const isBoolean = key !== undefined && typeof DEFAULT_VERSION_OPTIONS[key] === 'boolean';
    if (isBoolean) {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw usageError(`--${name} takes true or false, got ${inline}`);
      options[key] = negated ? false : inline !== 'false';
      continue;
    }
    if (negated) throw usageError(`--no-${name} is not a flag`);
    if (!key && !['cwd', 'ref', 'format'].includes(name)) throw usageError(`unknown flag --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw usageError(`--${name} needs a value`);
    if (name === 'cwd') parsed.cwd = value;
    else if (name === 'ref') parsed.ref = value;
    else if (name === 'format') {
      if (!(FORMATS as readonly string[]).includes(value)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, got ${value}`);
      parsed.format = value as Format;
    } else options[key!] = value;
  }
  return parsed;
}

/**
 * The digest is an Nx runtime cache input: it must print one line and exit 0 wherever Nx
 * runs. Outside a usable repository it prints a fixed word; on any other error a stable
 * hash of the error, and the task itself then fails with the full message.
 */
async function digest(cwd: string, ref: string | undefined, options: VersionOptions): Promise<string> {
  try {
    // allowBackport: the digest identifies the inputs, it is not a gate. A backport's pack gets
    // --allowBackport (forwarded by Nx), this command does not: refusing here would give every
    // backport commit one constant error digest, and a cache hit would restore another commit's pack.
    return contextDigest(await resolveContext({ workspaceRoot: cwd, env: process.env, options: { ...options, allowBackport: true, ref } }));
  } catch (e) {
    if (e instanceof GitFactsError && e.problem === 'not-a-repo') return 'no-git';
    if (e instanceof GitFactsError && e.problem === 'no-commits') return 'no-commits';
    const message = e instanceof Error ? e.message : String(e);
    // The commit is part of even an error digest: one refusal on two commits must never share a cache entry.
    const head = await readHeadSha(cwd).catch(() => '');
    return `error-${createHash('sha256').update(`${head}\n${message}`).digest('hex').slice(0, 16)}`;
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.command !== 'context') {
      process.stderr.write(`${args.command ? `unknown command ${args.command}\n\n` : ''}${HELP}`);
      return 1;
    }
    const cwd = resolve(args.cwd ?? process.cwd());
    if (args.format === 'digest') {
      process.stdout.write(`${await digest(cwd, args.ref, args.options)}\n`);
      return 0;
    }
    if (args.format === 'github-output' && !process.env.GITHUB_OUTPUT) {
      throw new ReleaseError('GITHUB_OUTPUT is not set', 'run this step inside GitHub Actions, or use --format env');
    }
    const ctx = await resolveContext({ workspaceRoot: cwd, env: process.env, options: { ...args.options, ref: args.ref } });
    const text = formatContext(ctx, args.format as ContextFormat);
    if (args.format === 'github-output') appendFileSync(process.env.GITHUB_OUTPUT!, text);
    process.stdout.write(text);
    return 0;
  } catch (e) {
    if (e instanceof ReleaseError) {
      process.stderr.write(`nx-ameide-release: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
