import { PLUGIN_NAME } from '../names';

/**
 * Where a project's artifacts go, as configuration: the plugin's options in nx.json
 * (`destinations`), overridden per project, overridden by AMEIDE_* environment variables (CI).
 * No company name is a default: the public registries are, and what cannot be defaulted is
 * derived (a Go remote from the module path, a GHCR namespace from the repository owner) or
 * refused with the option to set. Pure: no fs, no git, no network, no process.env (the caller
 * passes the environment and the facts it read).
 */

/** Every kind of destination a project can have: a package registry (npm, PyPI, a Go mirror) or an image registry. */
export const DESTINATION_KINDS = ['npm', 'pypi', 'go', 'oci'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];
const isKind = (k: string): k is DestinationKind => (DESTINATION_KINDS as readonly string[]).includes(k);

/** What nx.json (`options.destinations`) or a project (`metadata["nx-ameide-release"].destinations`) configures. */
export interface DestinationsConfig {
  npm?: { registry?: string; access?: string; scope?: string };
  pypi?: { uploadUrl?: string; indexUrl?: string };
  go?: { remote?: string; branch?: string };
  oci?: { registry?: string; namespace?: string };
}

export interface NpmDestination {
  registry: string; // ends with /
  access?: 'public' | 'restricted'; // absent: npm's own rule (publishConfig.access, else restricted for a new scoped package)
  scope?: string; // '@acme': every npm package of the project must be in it
}
export interface PypiDestination {
  uploadUrl: string;
  indexUrl: string; // PEP 503 simple index, ends with /
}
export interface GoDestination {
  remote: string; // git remote of the module's own repository (the mirror)
  branch: string;
}
export interface OciDestination {
  registry: string; // host[:port]
  namespace: string; // lower case, e.g. the GitHub owner on ghcr.io
}

/** The resolved destinations of one project: its ecosystem's and its image's. */
export interface Destinations {
  npm?: NpmDestination;
  pypi?: PypiDestination;
  go?: GoDestination;
  oci?: OciDestination;
}

/** What the caller read so that destinations can be derived and checked. */
export interface DestinationFacts {
  /** Nx project name, for messages. */
  project: string;
  /** Workspace-relative file holding the project's own configuration (project.json or package.json). */
  projectFile?: string;
  /** The npm package name (for the scope check). */
  packageName?: string;
  /** The Go module path from go.mod. */
  goModule?: string;
  /** The root package.json `repository` (string or its `url`). */
  repositoryUrl?: string;
}

export interface DestinationRefusal {
  /** The kind it blocks; null: the configuration itself is malformed, which blocks every kind. */
  kind: DestinationKind | null;
  key: string; // e.g. 'oci.namespace'
  what: string;
  fix: string;
}

export interface DestinationResolution {
  /** One entry per kind that resolved completely and passed the checks. */
  destinations: Destinations;
  /** Every setting that has a value, also of a refused kind (what `nx show project` shows beside the refusal). */
  values: Record<string, string>;
  /** Where each value came from, e.g. { 'oci.namespace': 'nx.json' }. */
  from: Record<string, string>;
  refusals: DestinationRefusal[];
}

export interface ResolveInput {
  /** The project's ecosystem (an adapter's name): its own kind of destination, when it has one. */
  ecosystem: string;
  /** nx.json plugin options `destinations`. */
  workspace?: unknown;
  /** The project's `metadata["nx-ameide-release"].destinations` (at run time: the target's `destinations` option). */
  project?: unknown;
  /** Label of the project layer in `from` (default 'project'). */
  projectLabel?: string;
  facts: DestinationFacts;
  env: Record<string, string | undefined>;
}

/** The key under a project's `metadata` (project.json) or `nx.metadata` (package.json) that holds its own destinations. */
export const PROJECT_CONFIG_KEY = 'nx-ameide-release';

export const NPMJS = 'https://registry.npmjs.org/';
export const PYPI_UPLOAD = 'https://upload.pypi.org/legacy/';
export const PYPI_INDEX = 'https://pypi.org/simple/';
export const GHCR = 'ghcr.io';
/** Hosts whose module paths are `host/owner/repo`: the repository is the path itself. */
export const GO_REPO_HOSTS = ['github.com', 'gitlab.com', 'bitbucket.org'];

type Derived = { value: string; from: string } | { refuse: string };

interface Field {
  kind: DestinationKind;
  name: string;
  env: string;
  /** Shown in the fix as the value to write. */
  example: string;
  /** null when the value is acceptable, else what is wrong with it. */
  check: (v: string) => string | null;
  normalize?: (v: string) => string;
  /** When nothing is configured: a default, a derivation, or a refusal; undefined leaves the field unset. */
  fallback?: (facts: DestinationFacts, env: ResolveInput['env'], resolved: Record<string, string>) => Derived | undefined;
}

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);
const httpUrl = (v: string) => (/^https?:\/\/[^\s/]+/.test(v) ? null : 'is not an http(s) URL');
const dflt = (value: string, what: string) => (): Derived => ({ value, from: `default: ${what}` });
const OCI_NAMESPACE_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** The Go module's repository, when its path names one (`github.com/acme/foo-go/v2` -> https://github.com/acme/foo-go). */
export function goRemoteFromModule(modulePath: string): Derived {
  const parts = modulePath.split('/');
  if (parts.length > 3 && /^v([2-9]|[1-9][0-9]+)$/.test(parts[parts.length - 1])) parts.pop(); // the major suffix is not part of the repository
  const host = parts[0];
  if (!GO_REPO_HOSTS.includes(host)) {
    return { refuse: `module ${modulePath} is on ${host}, where a module path does not name its repository (derived only for ${GO_REPO_HOSTS.join(', ')})` };
  }
  if (parts.length !== 3 || parts.some((p) => !p)) {
    return { refuse: `module ${modulePath} is not host/owner/repo: the mirror puts the module at a repository's root, and this path names a subdirectory (or a subgroup)` };
  }
  return { value: `https://${parts.join('/')}`, from: 'go.mod module path' };
}

/** The GitHub owner of a repository URL as npm writes it (`git+https://github.com/acme/x.git`, `github:acme/x`, `acme/x`, `git@github.com:acme/x.git`). */
export function githubOwner(repositoryUrl: string | undefined): string | undefined {
  if (!repositoryUrl) return undefined;
  const m =
    /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?github\.com[/:]([A-Za-z0-9-]+)\/[^/]+/.exec(repositoryUrl) ??
    /^(?:[^@/]+@)?github\.com:([A-Za-z0-9-]+)\/[^/]+/.exec(repositoryUrl) ??
    /^github:([A-Za-z0-9-]+)\/[^/]+$/.exec(repositoryUrl) ??
    /^([A-Za-z0-9-]+)\/[A-Za-z0-9._-]+$/.exec(repositoryUrl);
  return m?.[1];
}

function ociNamespace(facts: DestinationFacts, env: ResolveInput['env'], resolved: Record<string, string>): Derived | undefined {
  const registry = resolved['oci.registry'];
  if (!registry) return undefined; // the registry itself is refused: that refusal says what to fix
  if (registry !== GHCR) return { refuse: `the OCI registry is ${registry}, whose namespace cannot be derived` };
  // The workspace's declared home first: the same locally and in CI (and in the graph, which never reads the environment).
  const owner = githubOwner(facts.repositoryUrl);
  if (owner) return { value: owner.toLowerCase(), from: 'root package.json repository (GitHub owner)' };
  if (env.GITHUB_REPOSITORY_OWNER) return { value: env.GITHUB_REPOSITORY_OWNER.toLowerCase(), from: 'GITHUB_REPOSITORY_OWNER' };
  return { refuse: 'the namespace on ghcr.io cannot be derived: the root package.json has no github.com `repository`, and GITHUB_REPOSITORY_OWNER is not set (it is, in GitHub Actions)' };
}

/** Every destination setting, in resolution order within its kind (oci.namespace reads the resolved oci.registry). */
const FIELDS: Field[] = [
  { kind: 'npm', name: 'registry', env: 'AMEIDE_NPM_REGISTRY', example: NPMJS, check: httpUrl, normalize: withSlash, fallback: dflt(NPMJS, 'public npm registry') },
  { kind: 'npm', name: 'access', env: 'AMEIDE_NPM_ACCESS', example: 'public', check: (v) => (v === 'public' || v === 'restricted' ? null : 'is neither "public" nor "restricted"') },
  {
    kind: 'npm', name: 'scope', env: 'AMEIDE_NPM_SCOPE', example: '@your-scope',
    check: (v) => (/^@?[a-z0-9~-][a-z0-9._~-]*$/.test(v) ? null : 'is not an npm scope like @acme'),
    normalize: (v) => (v.startsWith('@') ? v : `@${v}`),
  },
  { kind: 'pypi', name: 'uploadUrl', env: 'AMEIDE_PYPI_UPLOAD_URL', example: PYPI_UPLOAD, check: httpUrl, fallback: dflt(PYPI_UPLOAD, 'public PyPI') },
  { kind: 'pypi', name: 'indexUrl', env: 'AMEIDE_PYPI_INDEX_URL', example: PYPI_INDEX, check: httpUrl, normalize: withSlash, fallback: dflt(PYPI_INDEX, 'public PyPI') },
  {
    kind: 'go', name: 'remote', env: 'AMEIDE_GO_REMOTE', example: 'https://github.com/<owner>/<repo>',
    check: (v) => (v.trim() === v && v.length > 0 && !v.startsWith('-') ? null : 'is not a git remote'),
    fallback: (f) => (f.goModule ? goRemoteFromModule(f.goModule) : { refuse: 'the Go module path is unknown (no go.mod was read)' }),
  },
  {
    kind: 'go', name: 'branch', env: 'AMEIDE_GO_BRANCH', example: 'main',
    check: (v) => (/^[A-Za-z0-9._/-]+$/.test(v) && !v.startsWith('-') && !v.includes('..') && !v.endsWith('/') ? null : 'is not a branch name'),
    fallback: dflt('main', 'branch main'),
  },
  { kind: 'oci', name: 'registry', env: 'AMEIDE_OCI_REGISTRY', example: GHCR, check: (v) => (/^[A-Za-z0-9.-]+(:[0-9]+)?$/.test(v) ? null : 'is not host[:port] (no scheme, no path)'), fallback: dflt(GHCR, 'GitHub Container Registry') },
  {
    kind: 'oci', name: 'namespace', env: 'AMEIDE_OCI_NAMESPACE', example: '<owner, lower case>',
    check: (v) => (OCI_NAMESPACE_RE.test(v) ? null : 'is not a lower-case registry namespace (e.g. acme, or acme/sdk)'),
    fallback: ociNamespace,
  },
];

const KNOWN: Record<string, string[]> = {};
for (const f of FIELDS) (KNOWN[f.kind] ??= []).push(f.name);

/** How to set one destination key, as it must be written: nx.json, the project's own file, or the environment. */
export function howToSet(key: string, envName: string, facts: DestinationFacts, example = '…'): string {
  const [kind, name] = key.split('.');
  const json = `"destinations": { "${kind}": { "${name}": "${example}" } }`;
  const file = facts.projectFile ?? `the project.json of ${facts.project}`;
  const inProject = file.endsWith('package.json')
    ? `"nx": { "metadata": { "${PROJECT_CONFIG_KEY}": { ${json} } } } in ${file}`
    : `"metadata": { "${PROJECT_CONFIG_KEY}": { ${json} } } in ${file}`;
  return `set ${json} in the options of the "${PLUGIN_NAME}" plugin in nx.json (every project), or ${inProject} (this project only); in CI, ${envName} overrides both`;
}

type Layer = { label: string; config: Record<string, Record<string, unknown>> };

/** A configuration layer's shape problems: not an object, unknown kinds or keys (a typo must not fall back to a default). */
function shapeRefusals(layer: { label: string; value: unknown }, facts: DestinationFacts): { refusals: DestinationRefusal[]; config: Layer['config'] } {
  const refusals: DestinationRefusal[] = [];
  const config: Layer['config'] = {};
  if (layer.value === undefined || layer.value === null) return { refusals, config };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const fix = `write destinations as { "npm": { "registry", "access", "scope" }, "pypi": { "uploadUrl", "indexUrl" }, "go": { "remote", "branch" }, "oci": { "registry", "namespace" } } (docs/destinations.md)`;
  if (!isObj(layer.value)) {
    refusals.push({ kind: null, key: 'destinations', what: `${facts.project}: destinations in ${layer.label} is not an object`, fix });
    return { refusals, config };
  }
  for (const [kind, fields] of Object.entries(layer.value)) {
    if (!KNOWN[kind] || !isObj(fields)) {
      refusals.push({ kind: KNOWN[kind] ? (kind as DestinationKind) : null, key: `destinations.${kind}`, what: `${facts.project}: destinations.${kind} in ${layer.label} is ${KNOWN[kind] ? 'not an object' : 'not a destination kind'}`, fix });
      continue;
    }
    for (const [name, value] of Object.entries(fields)) {
      if (!KNOWN[kind].includes(name)) {
        refusals.push({ kind: kind as DestinationKind, key: `${kind}.${name}`, what: `${facts.project}: destinations.${kind}.${name} in ${layer.label} is not a setting (known: ${KNOWN[kind].join(', ')})`, fix });
      } else if (typeof value !== 'string') {
        refusals.push({ kind: kind as DestinationKind, key: `${kind}.${name}`, what: `${facts.project}: destinations.${kind}.${name} in ${layer.label} is not a string`, fix });
      }
    }
    config[kind] = fields;
  }
  return { refusals, config };
}

/** The kinds a project of this ecosystem publishes to: its registry and its image. */
export const kindsOf = (ecosystem: string): DestinationKind[] => [...(isKind(ecosystem) && ecosystem !== 'oci' ? [ecosystem] : []), 'oci'];

/**
 * Resolve one project's destinations: for every setting, the environment, else the project,
 * else nx.json, else a derivation or a public default, else a refusal naming where to set it.
 * Then the cross-checks: the npm scope holds the package; PyPI upload and index agree.
 */
export function resolveDestinations(input: ResolveInput): DestinationResolution {
  const { facts, env } = input;
  const kinds = kindsOf(input.ecosystem);
  const refusals: DestinationRefusal[] = [];
  const refused = new Set<DestinationKind>();
  const layers: Layer[] = [];
  for (const l of [
    { label: input.projectLabel ?? 'project', value: input.project },
    { label: 'nx.json', value: input.workspace },
  ]) {
    const s = shapeRefusals(l, facts);
    // A malformed setting of another kind (npm settings, for a Go project) is not this project's problem.
    for (const x of s.refusals.filter((x) => x.kind === null || kinds.includes(x.kind))) {
      refusals.push(x);
      for (const k of x.kind ? [x.kind] : kinds) refused.add(k);
    }
    layers.push({ label: l.label, config: s.config });
  }
  const resolved: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const f of FIELDS.filter((x) => kinds.includes(x.kind))) {
    const key = `${f.kind}.${f.name}`;
    const refuse = (what: string) => {
      refused.add(f.kind);
      refusals.push({ kind: f.kind, key, what: `${facts.project}: ${what}`, fix: howToSet(key, f.env, facts, f.example) });
    };
    let value: string | undefined;
    let source: string | undefined;
    if (env[f.env]) [value, source] = [env[f.env], f.env];
    for (const l of layers) {
      const v = l.config[f.kind]?.[f.name];
      if (value === undefined && typeof v === 'string' && v !== '') [value, source] = [v, `${l.label}`];
    }
    if (value !== undefined) {
      const problem = f.check(value);
      if (problem) {
        refuse(`${source === f.env ? f.env : `destinations.${key} in ${source}`} = "${value}" ${problem}`);
        continue;
      }
      resolved[key] = f.normalize ? f.normalize(value) : value;
      from[key] = source!;
      continue;
    }
    const d = f.fallback?.(facts, env, resolved);
    if (!d) continue; // optional and unset
    if ('refuse' in d) refuse(d.refuse);
    else [resolved[key], from[key]] = [d.value, d.from];
  }

  const scope = resolved['npm.scope'];
  if (scope && facts.packageName && !facts.packageName.startsWith(`${scope}/`)) {
    refused.add('npm');
    refusals.push({
      kind: 'npm',
      key: 'npm.scope',
      what: `${facts.project}: npm package ${facts.packageName} is outside the scope ${scope} (destinations.npm.scope, from ${from['npm.scope']}); nothing is published`,
      fix: `rename the package to ${scope}/<name>, or ${howToSet('npm.scope', 'AMEIDE_NPM_SCOPE', facts, `@${facts.packageName.startsWith('@') ? facts.packageName.slice(1).split('/')[0] : '<scope>'}`)}`,
    });
  }
  const upload = from['pypi.uploadUrl'];
  const index = from['pypi.indexUrl'];
  if (upload && index && upload.startsWith('default') !== index.startsWith('default')) {
    refused.add('pypi');
    const [set, unset] = upload.startsWith('default') ? ['indexUrl', 'uploadUrl'] : ['uploadUrl', 'indexUrl'];
    refusals.push({
      kind: 'pypi',
      key: `pypi.${unset}`,
      what: `${facts.project}: destinations.pypi.${set} is set (from ${from[`pypi.${set}`]}) but pypi.${unset} is public PyPI's default: uploads and the idempotency lookups would go to different indexes`,
      fix: howToSet(`pypi.${unset}`, unset === 'uploadUrl' ? 'AMEIDE_PYPI_UPLOAD_URL' : 'AMEIDE_PYPI_INDEX_URL', facts, unset === 'uploadUrl' ? '<upload URL>' : '<simple index URL>'),
    });
  }

  const destinations: Destinations = {};
  const r = (k: string) => resolved[k];
  if (kinds.includes('npm') && !refused.has('npm'))
    destinations.npm = { registry: r('npm.registry'), ...(r('npm.access') ? { access: r('npm.access') as 'public' | 'restricted' } : {}), ...(r('npm.scope') ? { scope: r('npm.scope') } : {}) };
  if (kinds.includes('pypi') && !refused.has('pypi')) destinations.pypi = { uploadUrl: r('pypi.uploadUrl'), indexUrl: r('pypi.indexUrl') };
  if (kinds.includes('go') && !refused.has('go')) destinations.go = { remote: r('go.remote'), branch: r('go.branch') };
  if (!refused.has('oci')) destinations.oci = { registry: r('oci.registry'), namespace: r('oci.namespace') };
  return { destinations, values: resolved, from, refusals };
}

/** Deep merge of two configuration objects (project over workspace), per kind; non-objects are kept as they are, for the shape check. */
export function mergeConfig(workspace: unknown, project: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(workspace)) return project ?? workspace;
  if (!isObj(project)) return project ?? workspace;
  const out: Record<string, unknown> = { ...workspace };
  for (const [k, v] of Object.entries(project)) out[k] = isObj(out[k]) && isObj(v) ? { ...(out[k] as object), ...v } : v;
  return out;
}

/** The refusals that block these kinds (a malformed configuration blocks all). */
export function refusalsFor(res: DestinationResolution, kinds: DestinationKind[]): DestinationRefusal[] {
  return res.refusals.filter((r) => r.kind === null || kinds.includes(r.kind));
}

/** A destination value as it may be shown (logs, `nx show project`): credentials in a URL become ***. */
export const shown = (value: string): string => value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');

/**
 * What `nx show project` shows in a target's metadata: the destinations of `kinds` as resolved
 * from nx.json, the project and derivation (AMEIDE_* variables override them at run time), where
 * each value came from, and what is refused (the run would stop there, naming the option; the
 * settings of a refused kind that did resolve are still shown).
 */
export function destinationsMetadata(res: DestinationResolution, kinds: DestinationKind[]): Record<string, unknown> {
  const destinations: Record<string, Record<string, string>> = {};
  const from: Record<string, string> = {};
  for (const kind of kinds) {
    const fields = Object.entries(res.values).filter(([k]) => k.startsWith(`${kind}.`));
    if (fields.length) destinations[kind] = Object.fromEntries(fields.map(([k, v]) => [k.slice(kind.length + 1), shown(v)]));
    for (const [k, v] of Object.entries(res.from)) if (k.startsWith(`${kind}.`)) from[k] = v;
  }
  const refused = refusalsFor(res, kinds).map((r) => `${r.what} (fix: ${r.fix})`);
  return {
    destinations,
    destinationsFrom: from,
    ...(refused.length ? { destinationsRefused: refused } : {}),
  };
}

/** The configuration a target needs: its kinds (and anything malformed, so the run refuses it as the graph does). */
export function pickKinds(config: unknown, kinds: DestinationKind[]): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return Object.fromEntries(Object.entries(config).filter(([k]) => kinds.includes(k as DestinationKind) || !KNOWN[k]));
}
