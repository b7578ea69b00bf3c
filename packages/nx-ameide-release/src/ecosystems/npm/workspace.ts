import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ReleaseError } from '../../errors';

/**
 * The workspace's own packages (pnpm-workspace.yaml `packages:` globs) and the pnpm
 * publish-time rewrite of `workspace:` ranges. Every workspace package is released at the
 * same version, so a `workspace:` range always resolves to this release's version.
 */

export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** The `packages:` list of pnpm-workspace.yaml. A tiny reader: that list is all we need, and no YAML library is a dependency. */
export function parseWorkspaceGlobs(yaml: string): string[] {
  const globs: string[] = [];
  let inPackages = false;
  for (const raw of yaml.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (/^\S/.test(line)) {
      inPackages = /^packages\s*:\s*$/.test(line);
      const inline = /^packages\s*:\s*\[(.*)\]\s*$/.exec(line);
      if (inline) inline[1].split(',').map(unquote).filter(Boolean).forEach((g) => globs.push(g));
      continue;
    }
    const item = inPackages ? /^\s+-\s*(.+?)\s*$/.exec(line) : null;
    if (item) globs.push(unquote(item[1]));
  }
  return globs;
}

function unquote(s: string): string {
  return s.trim().replace(/^(['"])(.*)\1$/, '$2');
}

/** A pnpm workspace glob (`packages/*`, `apps/**`, `!**\/test/**`) as a RegExp over a posix directory path. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` matches any depth.
      if (g[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface WorkspacePackage {
  name: string;
  dir: string; // workspace-relative, posix
  private: boolean;
}

/** Every package.json directory the workspace globs select (node_modules never). */
export function findWorkspacePackages(workspaceRoot: string): WorkspacePackage[] {
  const yamlFile = join(workspaceRoot, 'pnpm-workspace.yaml');
  const globs = existsSync(yamlFile) ? parseWorkspaceGlobs(readFileSync(yamlFile, 'utf8')) : [];
  const include = globs.filter((g) => !g.startsWith('!')).map(globToRegExp);
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => globToRegExp(g.slice(1)));
  const maxDepth = globs.some((g) => g.includes('**')) ? 8 : Math.max(1, ...globs.map((g) => g.split('/').length));
  const found: WorkspacePackage[] = [];
  const walk = (rel: string, depth: number) => {
    if (depth > maxDepth) return;
    let entries;
    try {
      entries = readdirSync(join(workspaceRoot, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (include.some((r) => r.test(child)) && !exclude.some((r) => r.test(child))) {
        const pj = join(workspaceRoot, child, 'package.json');
        if (existsSync(pj)) {
          try {
            const json = JSON.parse(readFileSync(pj, 'utf8'));
            if (typeof json.name === 'string') found.push({ name: json.name, dir: child, private: json.private === true });
          } catch {
            // an unreadable package.json is not a workspace package we can resolve against
          }
        }
      }
      walk(child, depth + 1);
    }
  };
  walk('', 1);
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** How pnpm rewrites one `workspace:` spec on publish, given the dependency's version. Pure. */
export function rewriteWorkspaceSpec(spec: string, version: string): string {
  let rest = spec.slice('workspace:'.length);
  // Alias form: "alias": "workspace:real-name@^" publishes as "npm:real-name@^X".
  let alias = '';
  const at = rest.lastIndexOf('@');
  if (at > 0 && !rest.startsWith('.') && !rest.startsWith('/')) {
    alias = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let range: string;
  if (rest === '*' || rest === '') range = version;
  else if (rest === '^' || rest === '~') range = `${rest}${version}`;
  else if (rest.startsWith('.') || rest.startsWith('/')) range = version; // path form: the exact version of that package
  else range = rest; // an explicit range after workspace: is kept as written
  return alias ? `npm:${alias}@${range}` : range;
}

export interface RewriteResult {
  manifest: Record<string, any>;
  rewritten: Array<{ field: string; name: string; from: string; to: string }>;
}

/**
 * Rewrite every `workspace:` range of a manifest to this release's version. A range naming a
 * package the workspace does not hold is the "missing dependency version" guard.
 */
export function rewriteWorkspaceRanges(
  manifest: Record<string, any>,
  version: string,
  workspacePackages: Array<Pick<WorkspacePackage, 'name' | 'dir'>>,
  opts: { where: string; projectDir?: string } = { where: 'package.json' },
): RewriteResult {
  const out = JSON.parse(JSON.stringify(manifest));
  const rewritten: RewriteResult['rewritten'] = [];
  const byName = new Map(workspacePackages.map((p) => [p.name, p]));
  const byDir = new Map(workspacePackages.map((p) => [p.dir, p]));
  for (const field of DEPENDENCY_FIELDS) {
    const deps = out[field];
    if (!deps || typeof deps !== 'object') continue;
    for (const [name, spec] of Object.entries<string>(deps)) {
      if (typeof spec !== 'string' || !spec.startsWith('workspace:')) continue;
      const rest = spec.slice('workspace:'.length);
      let target: string = name;
      if (rest.startsWith('.') || rest.startsWith('/')) {
        const dir = posix.normalize(posix.join(opts.projectDir ?? '.', rest)).replace(/\/+$/, '');
        const hit = byDir.get(dir);
        if (!hit) throw missing(field, name, spec, opts.where);
        target = hit.name;
      } else {
        const at = rest.lastIndexOf('@');
        if (at > 0) target = rest.slice(0, at);
      }
      if (!byName.has(target)) throw missing(field, name, spec, opts.where);
      const to = rewriteWorkspaceSpec(spec, version);
      deps[name] = to;
      rewritten.push({ field, name, from: spec, to });
    }
  }
  return { manifest: out, rewritten };
}

function missing(field: string, name: string, spec: string, where: string): ReleaseError {
  return new ReleaseError(
    `missing dependency version for workspace: range: ${field}.${name} is "${spec}", but no package named ${name} is in the workspace (pnpm-workspace.yaml globs)`,
    `add ${name} to the workspace, or replace "${spec}" with a published version range`,
    where,
  );
}

/** Every string in a manifest that still carries a workspace-only protocol, as `path.to.key = value`. */
export function findUnpublishableSpecs(manifest: unknown, path = ''): string[] {
  if (typeof manifest === 'string') return /^(workspace|catalog):/.test(manifest) ? [`${path} = "${manifest}"`] : [];
  if (!manifest || typeof manifest !== 'object') return [];
  return Object.entries(manifest as Record<string, unknown>).flatMap(([k, v]) =>
    findUnpublishableSpecs(v, path ? `${path}.${k}` : k),
  );
}
