import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ReleaseError } from '../errors';
import { ociImageName } from '../ecosystems/oci/layout';
import { readFacts } from '../ecosystems/oci/facts';
import { RegistryClient } from '../ecosystems/oci/registry';
import { ociCredentials, type Env } from '../destinations/registries';
import { traceSubjects } from '../trace/projects';
import { globToRegExp, IMAGE_SHA_ANNOTATION, scanYaml, type ImageRef } from './scan';

export { IMAGE_SHA_ANNOTATION, scanYaml, splitImage, globToRegExp } from './scan';

/** Paths where every image of ours must be pinned and annotated (matched against the path under --cwd). */
export const DEFAULT_PROTECTED_PATHS = ['**/prod/**', '**/staging/**'];

const SEMVER_TAG = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const FULL_SHA = /^[0-9a-f]{40}$/;

export interface GitopsViolation {
  file: string;
  line: number;
  image: string;
  problem: string;
  fix: string;
}

export interface GitopsReport {
  /** Our image references in protected paths that were checked. */
  checked: number;
  /** Our image references elsewhere (dev paths: any tag allowed). */
  unprotected: number;
  violations: GitopsViolation[];
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '.git') yamlFiles(join(dir, e.name), out);
    } else if (/\.ya?ml$/.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

const shown = (r: ImageRef) => `${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;

/**
 * Scans Kubernetes, Kustomize and Helm-values YAML under `dirs` for the images of the workspace's
 * release projects (at the OCI registry/namespace their destinations resolve to). In protected paths
 * each reference must pin a SemVer tag and carry `ameide.io/image-sha` equal to the revision the
 * registry records for that tag; elsewhere (dev paths) any tag is allowed.
 */
export async function gitopsCheck(a: { workspaceRoot: string; cwd: string; dirs: string[]; protectedPaths?: string[]; env: Env }): Promise<GitopsReport> {
  // Bad input first, before any registry is asked.
  if (a.dirs.length === 0) throw new ReleaseError('gitops-check needs at least one directory', 'nx-ameide-release gitops-check deploy/overlays');
  const dirs = a.dirs.map((d) => resolve(a.cwd, d));
  for (const [i, d] of dirs.entries()) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new ReleaseError(`${a.dirs[i]} is not a directory`, 'pass the folders holding the Kubernetes, Kustomize or Helm-values YAML');
  }
  const globs = (a.protectedPaths ?? DEFAULT_PROTECTED_PATHS).map((g) => g.trim()).filter(Boolean);
  if (globs.length === 0) throw new ReleaseError('--prod-paths is empty', `pass globs, e.g. --prod-paths '${DEFAULT_PROTECTED_PATHS.join(',')}'`);
  const protectedRe = globs.map(globToRegExp);
  const ours = new Map<string, string>(); // registry/namespace/image -> project
  for (const s of traceSubjects(a.workspaceRoot, a.env).subjects) {
    if (s.kind === 'oci') ours.set(`${s.destinations.oci!.registry}/${s.destinations.oci!.namespace}/${ociImageName(s.name)}`, s.project);
  }
  if (ours.size === 0) throw new ReleaseError(`no release project with an image destination in ${a.workspaceRoot}`, 'run gitops-check from the workspace (or --cwd <workspace>) whose images the manifests deploy');

  const violations: GitopsViolation[] = [];
  const toCheck: ImageRef[] = [];
  let unprotected = 0;
  for (const file of dirs.flatMap((d) => yamlFiles(d)).sort()) {
    const rel = relative(a.cwd, file).split('\\').join('/');
    const { refs, errors } = scanYaml(rel, readFileSync(file, 'utf8'));
    for (const e of errors) violations.push({ file: rel, line: 0, image: '', problem: `not valid YAML: ${e}`, fix: 'fix the YAML syntax' });
    for (const r of refs.filter((x) => ours.has(x.repository))) {
      if (protectedRe.some((re) => re.test(rel))) toCheck.push(r);
      else unprotected++;
    }
  }

  const creds = ociCredentials(a.env);
  const clients = new Map<string, RegistryClient>();
  const facts = new Map<string, Promise<{ revision: string | null; digest: string } | null | Error>>();
  const factsOf = (r: ImageRef & { tag: string }) => {
    const key = `${r.repository}:${r.tag}`;
    if (!facts.has(key)) {
      const host = r.repository.slice(0, r.repository.indexOf('/'));
      const client = clients.get(host) ?? new RegistryClient({ registry: host, insecure: creds.insecure, username: creds.username, password: creds.password });
      clients.set(host, client);
      facts.set(key, readFacts(client, r.repository.slice(host.length + 1), r.tag).catch((e: Error) => e));
    }
    return facts.get(key)!;
  };

  for (const r of toCheck) {
    const at = { file: r.file, line: r.line, image: shown(r) };
    const add = (problem: string, fix: string) => violations.push({ ...at, problem, fix });
    if (!r.tag || !SEMVER_TAG.test(r.tag)) {
      const what = !r.tag ? (r.digest ? 'a digest without a release tag' : 'no tag (means latest)') : /^[0-9a-f]{7,40}$/.test(r.tag) ? `a bare SHA tag (${r.tag})` : `a floating tag (${r.tag})`;
      add(`${what} in a prod/staging path`, `pin the release tag, e.g. ${r.repository}:1.2.3 (nx-ameide-release trace <sha> lists the tags of a commit)`);
      continue;
    }
    const f = await factsOf({ ...r, tag: r.tag });
    if (f instanceof Error) {
      add(`cannot read ${r.repository}:${r.tag} from the registry: ${f.message.split('\n')[0]}`, 'check the registry is reachable and OCI_USERNAME/OCI_PASSWORD (or GITHUB_TOKEN) can read it');
      continue;
    }
    if (!f) {
      add(`tag ${r.tag} is not in the registry`, `pin a tag that was released (nx-ameide-release trace oci:${r.repository}:<tag>)`);
      continue;
    }
    if (r.digest && r.digest !== f.digest) add(`pinned digest ${r.digest} is not what ${r.tag} holds (${f.digest})`, `pin ${r.repository}:${r.tag}@${f.digest}`);
    const annotation = r.annotation?.trim().toLowerCase() ?? null;
    if (annotation === null || annotation === '') {
      add(`no ${IMAGE_SHA_ANNOTATION} annotation`, f.revision ? `annotate the object with ${IMAGE_SHA_ANNOTATION}: "${f.revision}" (the image's revision)` : `annotate the object with ${IMAGE_SHA_ANNOTATION}: "<the 40-hex commit the image was built from>"`);
    } else if (!FULL_SHA.test(annotation)) {
      add(`${IMAGE_SHA_ANNOTATION} is ${r.annotation}, not a 40-hex commit`, `set it to the full commit${f.revision ? `: "${f.revision}"` : ''}`);
    } else if (!f.revision) {
      add(`the image ${r.repository}:${r.tag} records no org.opencontainers.image.revision`, 'pin an image released by nx-ameide-release (it records the commit)');
    } else if (f.revision !== annotation) {
      add(`${IMAGE_SHA_ANNOTATION} ${annotation} is not the image's revision ${f.revision}`, `set ${IMAGE_SHA_ANNOTATION}: "${f.revision}", or pin the tag released from ${annotation.slice(0, 7)} (nx-ameide-release trace ${annotation})`);
    }
  }
  return { checked: toCheck.length, unprotected, violations };
}

/** The violations as an aligned table (empty report: one line saying what was checked). */
export function gitopsTable(r: GitopsReport): string {
  const head = `gitops-check: ${r.checked} pinned reference(s) checked in prod/staging paths, ${r.unprotected} elsewhere; ${r.violations.length} violation(s)`;
  if (r.violations.length === 0) return `${head}\n`;
  const rows = r.violations.map((v) => [`${v.file}:${v.line}`, v.image, v.problem, v.fix]);
  const cols = ['where', 'image', 'problem', 'fix'];
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.slice(0).map((x) => (i < 3 ? x[i].length : 0))));
  const line = (x: string[]) => x.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('  ');
  return [head, line(cols), ...rows.map(line), ''].join('\n');
}
