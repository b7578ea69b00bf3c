import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { contextDigest, formatContext, resolveContext, type ContextFormat } from '../context';
import { ReleaseError } from '../errors';
import { GitFactsError, readHeadSha } from '../git';
import { DEFAULT_VERSION_OPTIONS } from '../version/options';
import type { VersionOptions } from '../version/types';
import { action, cwdOption, formatOption, helpAfter, usageError, valueOption, workdir } from './options';

/*
 * Run by every Nx task and every cache-key computation (`context --format digest`): this file
 * loads the version context and git, no evidence, trace, gitops, registry or YAML code.
 */

const FORMATS = ['json', 'env', 'github-output', 'digest'] as const;

/** Every version option is a flag named after it (npmDevVersion -> --npm-dev-version); the type asks for each. */
const OPTION_HELP: Record<keyof VersionOptions, string> = {
  npmDevVersion: `npm version of the dev channel (default ${DEFAULT_VERSION_OPTIONS.npmDevVersion})`,
  pypiDevVersion: `PyPI version of the dev channel (default ${DEFAULT_VERSION_OPTIONS.pypiDevVersion})`,
  devBase: `base of a dev version: latest-tag (default) | next-patch`,
  mainBranch: `the branch whose commits are the dev channel (default ${DEFAULT_VERSION_OPTIONS.mainBranch})`,
  allowBackport: 'release a tag below the highest vX.Y.Z (latest and X.Y stay put)',
};
const OPTION_KEYS = Object.keys(OPTION_HELP) as (keyof VersionOptions)[];
const kebab = (camel: string) => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function versionOption(key: keyof VersionOptions): Option[] {
  const flag = `--${kebab(key)}`;
  if (typeof DEFAULT_VERSION_OPTIONS[key] !== 'boolean') return [valueOption(`${flag} <${key === 'devBase' ? 'base' : key === 'mainBranch' ? 'name' : 'template'}>`, OPTION_HELP[key])];
  const on = new Option(`${flag} [true|false]`, OPTION_HELP[key]).argParser((value: string) => {
    if (value !== 'true' && value !== 'false') throw usageError(`${flag} takes true or false, got ${value}`);
    return value === 'true';
  });
  return [on, new Option(`--no-${kebab(key)}`, `the same as ${flag}=false`)];
}

interface ContextFlags extends VersionOptions {
  cwd?: string;
  ref?: string;
  format: (typeof FORMATS)[number];
}

export function register(program: Command): void {
  const command = program
    .command('context')
    .summary('the version context of the checkout: versions, image tags and channel of HEAD')
    .description(
      [
        'The version context of a git checkout: the channel of HEAD (release, dev or build), its npm, PyPI and Go versions, image tags and git facts, from the ref and the vX.Y.Z tags.',
        'Options also come from the @ameideio/nx-ameide-release plugin entry in nx.json; flags win.',
        'With AMEIDE_CONTEXT_FILE set, the context saved there (json or env) is used, after checking that its GIT_SHA is HEAD.',
      ].join('\n'),
    )
    .addOption(cwdOption())
    .addOption(
      formatOption(undefined, FORMATS, [
        'json | env | github-output | digest',
        'env: KEY=VALUE lines (GHCR_TAGS comma-separated)',
        'github-output: the env lines appended to $GITHUB_OUTPUT',
        'digest: sha256 of the context, one line (an Nx cache input; prints no-git / no-commits outside a usable repository)',
      ].join('\n')),
    )
    .addOption(
      valueOption('--ref <ref>', [
        'ref deciding the channel; wins over GITHUB_REF and local git (refs/tags/v1.2.3, refs/heads/main, or short: v1.2.3, main)',
        'A tag that looks like a release but is not vX.Y.Z[-rc.N] (1.2.3, v1.2, V1.2.3, v1.2.3.4, v01.2.3) is refused; any other tag runs the build channel with a warning on stderr (and a ::warning:: annotation when GITHUB_ACTIONS=true).',
      ].join('\n')),
    );
  for (const key of OPTION_KEYS) for (const option of versionOption(key)) command.addOption(option);
  helpAfter(
    command,
    [
      'Placeholders of the templates: {base} {sha} {shortSha} {date} {datetime} {major} {minor} {patch}',
      '',
      'Examples:',
      '  nx-ameide-release context --format env',
      '  nx-ameide-release context --cwd ../other-repo --ref refs/heads/main',
      '  nx-ameide-release context --format github-output    # in a GitHub Actions step',
    ].join('\n'),
  );
  action<ContextFlags>(command, async (flags) => {
    const cwd = workdir(flags);
    const options: VersionOptions = {};
    for (const key of OPTION_KEYS) if (flags[key] !== undefined) (options as Record<string, unknown>)[key] = flags[key];
    if (flags.format === 'digest') {
      process.stdout.write(`${await digest(cwd, flags.ref, options)}\n`);
      return 0;
    }
    if (flags.format === 'github-output' && !process.env.GITHUB_OUTPUT) {
      throw new ReleaseError('GITHUB_OUTPUT is not set', 'run this step inside GitHub Actions, or use --format env');
    }
    const ctx = await resolveContext({ workspaceRoot: cwd, env: process.env, options: { ...options, ref: flags.ref } });
    const text = formatContext(ctx, flags.format as ContextFormat);
    if (flags.format === 'github-output') appendFileSync(process.env.GITHUB_OUTPUT!, text);
    process.stdout.write(text);
    return 0;
  });
}

/**
 * The digest is an Nx runtime cache input: it must print one line and exit 0 wherever Nx
 * runs. Outside a usable repository it prints a fixed word; on any other error a stable
 * hash of the error, and the task itself then fails with the full message.
 */
async function digest(cwd: string, ref: string | undefined, options: VersionOptions): Promise<string> {
  try {
    // No warning here: the digest is a cache input Nx computes on every run; the task's own context prints it.
    // allowBackport: the digest identifies the inputs, it is not a gate. A backport's pack gets
    // --allowBackport (forwarded by Nx), this command does not: refusing here would give every
    // backport commit one constant error digest, and a cache hit would restore another commit's pack.
    return contextDigest(await resolveContext({ workspaceRoot: cwd, env: process.env, options: { ...options, allowBackport: true, ref }, warn: () => undefined }));
  } catch (e) {
    if (e instanceof GitFactsError && e.problem === 'not-a-repo') return 'no-git';
    if (e instanceof GitFactsError && e.problem === 'no-commits') return 'no-commits';
    const message = e instanceof Error ? e.message : String(e);
    // The commit is part of even an error digest: one refusal on two commits must never share a cache entry.
    const head = await readHeadSha(cwd).catch(() => '');
    return `error-${createHash('sha256').update(`${head}\n${message}`).digest('hex').slice(0, 16)}`;
  }
}
