import { PLUGIN_NAME } from '../names';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { detectEcosystem } from '../plugin/projects';
import { kindsOf, mergeConfig, refusalsFor, type DestinationKind, type DestinationRefusal } from '../destinations';
import { projectDestinationsConfig, readGoModule, readPackageName } from '../destinations/facts';
import { projectDestinations } from '../destinations/run';
import { releaseProjectOf } from '../plugin/projects';
import { DEFAULT_RELEASE_TAG } from '../plugin/targets';
import { readPyproject } from '../ecosystems/pypi/pyproject';
import type { Ecosystem } from '../core/contract';
import type { Env } from '../destinations/registries';
import type { TraceTarget } from '../core/registry-trace';

/** Folders never holding a release project (createNodes skips node_modules; the rest are outputs and tools). */
const SKIP = new Set(['node_modules', 'dist', '.git', '.nx', '.venv', 'tmp']);

function manifestFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP.has(e.name) && !e.name.startsWith('.')) manifestFiles(root, join(dir, e.name), out);
    } else if (e.name === 'project.json' || e.name === 'package.json') out.push(relative(root, join(dir, e.name)));
  }
  return out;
}

function pluginEntry(workspaceRoot: string): { releaseTag?: string; destinations?: unknown } {
  try {
    const nx = JSON.parse(readFileSync(join(workspaceRoot, 'nx.json'), 'utf8')) as { plugins?: unknown[] };
    const entry = (nx.plugins ?? []).find((p) => typeof p === 'object' && p !== null && (p as { plugin?: unknown }).plugin === PLUGIN_NAME) as { options?: any } | undefined;
    return entry?.options ?? {};
  } catch {
    return {};
  }
}

function packageNameOf(ecosystem: Ecosystem, rootAbs: string): string | undefined {
  if (ecosystem === 'npm') return readPackageName(rootAbs);
  if (ecosystem === 'go') return readGoModule(rootAbs);
  try {
    return readPyproject(readFileSync(join(rootAbs, 'pyproject.toml'), 'utf8')).name || undefined;
  } catch {
    return undefined;
  }
}

export interface TraceSubject extends TraceTarget {
  kind: DestinationKind;
}

/**
 * Every (release project, kind) to ask: the projects createNodes infers (the release tag, the
 * ecosystem from the manifests), each with its package and its image, at the destinations the
 * executors use (nx.json + the project, AMEIDE_* on top). A kind whose destination is refused is
 * returned as a refusal, not asked.
 */
export function traceSubjects(workspaceRoot: string, env: Env): { subjects: TraceSubject[]; refused: { project: string; refusal: DestinationRefusal }[] } {
  const opts = pluginEntry(workspaceRoot);
  const files = manifestFiles(workspaceRoot);
  const subjects: TraceSubject[] = [];
  const refused: { project: string; refusal: DestinationRefusal }[] = [];
  for (const file of files.sort()) {
    const projectRoot = dirname(file) === '.' ? '' : dirname(file);
    const rootAbs = join(workspaceRoot, projectRoot);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(workspaceRoot, file), 'utf8'));
    } catch {
      continue;
    }
    const p = releaseProjectOf(file, json, opts.releaseTag ?? DEFAULT_RELEASE_TAG, existsSync(join(rootAbs, 'project.json')));
    const ecosystem = p && detectEcosystem(rootAbs);
    if (!p || !ecosystem) continue;
    const name = packageNameOf(ecosystem, rootAbs);
    if (!name) continue;
    const config = mergeConfig(opts.destinations, projectDestinationsConfig(file, json));
    const res = projectDestinations({ workspaceRoot, projectRoot, project: p.name, ecosystem, config, env });
    for (const kind of kindsOf(ecosystem)) {
      const refusals = refusalsFor(res, [kind]);
      if (refusals.length) refused.push(...refusals.map((refusal) => ({ project: p.name, refusal })));
      else subjects.push({ kind, workspaceRoot, project: p.name, name, destinations: res.destinations, env });
    }
  }
  return { subjects, refused };
}
