import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ReleaseError } from './errors';
import { moduleId, writeEntry } from './store';
import { readGitFacts, readGitState, readHeadSha, type GitState } from './git';
import { DEFAULT_VERSION_OPTIONS } from './version/options';
import type { VersionContext, VersionOptions } from './version/types';

/*
 * The version model (semver, pep440) loads only when a context is computed or a ref is named:
 * a task that finds its context in the cache never loads it.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const model = () => require('./version/compute') as typeof import('./version/compute');
const refs = () => require('./version/ref') as typeof import('./version/ref');
/* eslint-enable @typescript-eslint/no-var-requires */
import { PLUGIN_NAME } from './names';


/**
 * Output order of `--format env`: the keys of DESIGN.md first, then the extras of types.ts.
 * The names are a public contract (CI steps read them).
 */
export const CONTEXT_KEYS = [
  'BASE_VERSION',
  'GIT_SHA',
  'SHORT_SHA',
  'DATE',
  'DATETIME',
  'CHANNEL',
  'IS_RELEASE',
  'NPM_VERSION',
  'NPM_DIST_TAG',
  'PYPI_VERSION',
  'GO_VERSION',
  'GHCR_TAGS',
  'GO_PSEUDO_VERSION',
  'COMMIT_TIME',
  'REF',
  'RELEASE_TAG',
  'IS_HIGHEST_RELEASE',
] as const satisfies readonly (keyof VersionContext)[];

const BOOLEAN_KEYS = new Set<string>(['IS_RELEASE', 'IS_HIGHEST_RELEASE']);
const LIST_KEYS = new Set<string>(['GHCR_TAGS']);

export type ContextFormat = 'json' | 'env' | 'github-output';

export interface ResolveArgs {
  workspaceRoot: string;
  /** Defaults to process.env: GITHUB_REF and AMEIDE_CONTEXT_FILE come from here. */
  env?: Record<string, string | undefined>;
  options?: VersionOptions & { ref?: string };
  /** Where warnings go (a non-release tag running the build channel); default: printWarning to stderr. */
  warn?: (message: string) => void;
}

/** GitHub workflow-command escaping of a message (the `data` part of `::warning::data`). */
function escapeAnnotation(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * The lines a warning prints: a plain `warning:` line for every log, plus a `::warning::`
 * annotation when running in GitHub Actions (it then shows on the run's summary page).
 */
export function warningLines(message: string, env: Record<string, string | undefined> = process.env): string[] {
  const lines = [`nx-ameide-release: warning: ${message}`];
  if (env.GITHUB_ACTIONS === 'true') lines.push(`::warning title=nx-ameide-release::${escapeAnnotation(message)}`);
  return lines;
}

/** Prints a warning on stderr (stdout may be a context file being written, e.g. `--format env > ctx.env`). */
export function printWarning(message: string, env: Record<string, string | undefined> = process.env): void {
  for (const line of warningLines(message, env)) process.stderr.write(`${line}\n`);
}

/** The version options of the plugin's entry in <workspaceRoot>/nx.json ({} when absent). */
export function readPluginOptions(workspaceRoot: string): VersionOptions {
  const file = join(workspaceRoot, 'nx.json');
  if (!existsSync(file)) return {};
  let nx: { plugins?: unknown[] };
  try {
    nx = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ReleaseError(`nx.json is not valid JSON: ${(e as Error).message}`, 'fix the syntax of nx.json', file);
  }
  const entry = (nx.plugins ?? []).find(
    (p): p is { plugin: string; options?: Record<string, unknown> } =>
      typeof p === 'object' && p !== null && (p as { plugin?: unknown }).plugin === PLUGIN_NAME,
  );
  const options: Record<string, unknown> = {};
  // Only the keys that shape the context; the plugin's other options (releaseTag, ...) are not ours.
  for (const key of Object.keys(DEFAULT_VERSION_OPTIONS)) {
    if (entry?.options?.[key] !== undefined) options[key] = entry.options[key];
  }
  return options as VersionOptions;
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The version context of the checkout at workspaceRoot. Ref: options.ref > GITHUB_REF > local
 * git (release tag at HEAD, else branch). Options: flags > nx.json plugin options > defaults.
 * With AMEIDE_CONTEXT_FILE set, the context computed once by `context --format json|env` is
 * loaded instead (after checking it belongs to HEAD), so every CI job agrees.
 */
export async function resolveContext(args: ResolveArgs): Promise<VersionContext> {
  const env = args.env ?? process.env;
  const ctx = await computeOrLoad(args, env);
  const warn = args.warn ?? ((m: string) => printWarning(m, env));
  // Only a non-release tag warns (the build channel); other contexts need not load the model for it.
  if (ctx.CHANNEL === 'build' && ctx.REF.startsWith('refs/tags/')) for (const w of model().contextWarnings(ctx)) warn(w);
  return ctx;
}

async function computeOrLoad(args: ResolveArgs, env: Record<string, string | undefined>): Promise<VersionContext> {
  const { ref: refFlag, ...flags } = args.options ?? {};
  if (env.AMEIDE_CONTEXT_FILE) return loadContextFile(args.workspaceRoot, env.AMEIDE_CONTEXT_FILE, refFlag);
  const options = { ...readPluginOptions(args.workspaceRoot), ...definedOnly(flags) };
  const state = await readGitState(args.workspaceRoot);
  // The ref is named by the flag, else GITHUB_REF, else the state (tags at HEAD, branch): the key holds these inputs.
  const refInput = refFlag ?? env.GITHUB_REF ?? null;
  const cache = contextCacheFile(state, refInput, options, env);
  const hit = cache && readCachedContext(cache);
  if (hit) return hit;
  const ref = refFlag ? refs().normalizeRef(refFlag) : env.GITHUB_REF ? env.GITHUB_REF : refs().localRef(state);
  const ctx = model().computeContext(await readGitFacts(args.workspaceRoot, state), ref, options);
  if (cache) writeCachedContext(cache, ctx);
  return ctx;
}

/**
 * The context is computed once per checkout state and reused by every later task, digest and CLI
 * call (Nx starts a process per task, each would walk the history again). Kept in the clone's git
 * directory (never in the work tree, so it can never make the tree dirty), one small JSON file per
 * key. The key is everything the context is a function of: HEAD, every tag and the commit it names
 * (a moved, new or deleted tag), the ref, the options, the working tree's state (a dirty tree
 * refuses a release), shallowness, the branch, and the plugin's own code.
 * AMEIDE_CONTEXT_CACHE=off computes it every time.
 */
export const CONTEXT_CACHE_DIR = join('nx-ameide-release', 'context');
const CACHE_KEEP = 32;

function contextCacheFile(state: GitState, refInput: string | null, options: VersionOptions, env: Record<string, string | undefined>): string | null {
  if (/^(off|0|false|no)$/i.test(env.AMEIDE_CONTEXT_CACHE ?? '')) return null;
  const key = createHash('sha256')
    .update(JSON.stringify({ code: CODE_ID, state, refInput, options: Object.entries(options).sort(([a], [b]) => a.localeCompare(b)) }))
    .digest('hex');
  return join(state.gitDir, CONTEXT_CACHE_DIR, `${key}.json`);
}

/** The compiled plugin's identity: a cache written by other code is never read (module path + build time). */
const CODE_ID = moduleId(__filename);

function readCachedContext(file: string): VersionContext | null {
  try {
    return parseContext(readFileSync(file, 'utf8'), file);
  } catch {
    return null; // missing, partly written by a killed process, or from an older plugin: recompute
  }
}

function writeCachedContext(file: string, ctx: VersionContext): void {
  // A read-only or full disk costs only the cache, never the run (writeEntry says nothing).
  writeEntry(dirname(file), basename(file), formatContext(ctx, 'json'), CACHE_KEEP);
}

async function loadContextFile(workspaceRoot: string, file: string, refFlag: string | undefined): Promise<VersionContext> {
  const path = isAbsolute(file) ? file : resolve(workspaceRoot, file);
  if (!existsSync(path)) {
    throw new ReleaseError(
      `AMEIDE_CONTEXT_FILE points at ${path}, which does not exist`,
      'write it first (nx-ameide-release context --format json > "$AMEIDE_CONTEXT_FILE") or unset AMEIDE_CONTEXT_FILE',
    );
  }
  const ctx = parseContext(readFileSync(path, 'utf8'), path);
  const head = await readHeadSha(workspaceRoot);
  if (ctx.GIT_SHA !== head) {
    throw new ReleaseError(
      `the context in ${path} is for ${ctx.GIT_SHA}, but HEAD is ${head}`,
      'check out the commit the context was computed for, or recompute it here (nx-ameide-release context --format json)',
    );
  }
  if (refFlag && refs().normalizeRef(refFlag) !== ctx.REF) {
    throw new ReleaseError(
      `the context in ${path} was computed for ${ctx.REF}, but ref ${refs().normalizeRef(refFlag)} was asked for`,
      'drop the ref option, or unset AMEIDE_CONTEXT_FILE to compute the context for that ref',
    );
  }
  return ctx;
}

/** Read a context written by `formatContext` as json or env; every key must be there. */
export function parseContext(text: string, where = 'context'): VersionContext {
  let raw: Record<string, unknown>;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      raw = JSON.parse(trimmed);
    } catch (e) {
      throw new ReleaseError(`not valid JSON: ${(e as Error).message}`, 'regenerate it with nx-ameide-release context --format json', where);
    }
  } else {
    raw = {};
    for (const line of trimmed.split('\n')) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      raw[key] = BOOLEAN_KEYS.has(key) ? value === 'true' : LIST_KEYS.has(key) ? (value ? value.split(',') : []) : value;
    }
  }
  const missing = CONTEXT_KEYS.filter((k) => raw[k] === undefined);
  if (missing.length) {
    throw new ReleaseError(
      `the context lacks ${missing.join(', ')}`,
      'regenerate it with the same plugin version (nx-ameide-release context --format json)',
      where,
    );
  }
  const ctx = Object.fromEntries(CONTEXT_KEYS.map((k) => [k, raw[k]])) as unknown as VersionContext;
  for (const k of CONTEXT_KEYS) {
    const v = ctx[k];
    const ok = BOOLEAN_KEYS.has(k) ? typeof v === 'boolean' : LIST_KEYS.has(k) ? Array.isArray(v) : typeof v === 'string';
    if (!ok) {
      throw new ReleaseError(`context key ${k} has the wrong type (${JSON.stringify(v)})`, 'regenerate it with nx-ameide-release context', where);
    }
  }
  return ctx;
}

function valueText(v: VersionContext[keyof VersionContext]): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** json: pretty, keys in contract order. env / github-output: KEY=VALUE lines, GHCR_TAGS comma-separated. */
export function formatContext(ctx: VersionContext, format: ContextFormat): string {
  if (format === 'json') {
    return `${JSON.stringify(Object.fromEntries(CONTEXT_KEYS.map((k) => [k, ctx[k]])), null, 2)}\n`;
  }
  // Every value is one line by construction (versions, SHAs, refs); a newline would forge a key.
  return CONTEXT_KEYS.map((k) => {
    const text = valueText(ctx[k]);
    if (/[\r\n]/.test(text)) throw new ReleaseError(`context key ${k} contains a newline`, 'use a ref and templates without newlines');
    return `${k}=${text}\n`;
  }).join('');
}

/** sha256 of the context as canonical JSON (contract key order): the same context gives the same digest anywhere. */
export function contextDigest(ctx: VersionContext): string {
  const canonical = JSON.stringify(CONTEXT_KEYS.map((k) => [k, ctx[k]]));
  return createHash('sha256').update(canonical).digest('hex');
}
