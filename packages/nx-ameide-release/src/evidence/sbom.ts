import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runOrThrow, type Command } from '../exec';
import { ReleaseError } from '../errors';
import type { Ecosystem, PackManifest } from '../core/contract';
import { moduleId, readEntry, storeDir, writeEntry } from '../store';

/**
 * The CycloneDX SBOM of a release project, made by cdxgen (tools/setup.sh installs it) from the
 * project's manifests and lockfiles, then made reproducible: cdxgen stamps a random serial
 * number, the wall-clock time and absolute paths, which `normalizeSbom` replaces with values
 * derived from the SHA, the commit time and workspace-relative paths. The released version and
 * the SHA go into metadata, so the document names what was released, not the 0.0.0 sources.
 */

/** cdxgen's project type per ecosystem. */
const CDXGEN_TYPE: Record<Ecosystem, string> = { npm: 'js', pypi: 'python', go: 'go' };
/** Pinned: a newer cdxgen may write other bytes for the same input. */
export const SBOM_SPEC_VERSION = '1.6';

/** The cdxgen run for one project directory; pure. No dependency install, no network lookups. */
export function cdxgenCommand(cdxgen: string, ecosystem: Ecosystem, projectDir: string, outFile: string, env: NodeJS.ProcessEnv = process.env): Command {
  return {
    command: cdxgen,
    args: ['-t', CDXGEN_TYPE[ecosystem], '--no-install-deps', '--no-recurse', '--no-babel', '--spec-version', SBOM_SPEC_VERSION, '-o', outFile, projectDir],
    cwd: projectDir,
    env: { ...env, FETCH_LICENSE: 'false', CDXGEN_DEBUG_MODE: 'none' },
  };
}

/** A name-based UUID (RFC 4122 version 5 layout, SHA-256 based) from the SHA and the component: same inputs, same serial. */
export function derivedSerial(sha: string, component: string): string {
  const h = createHash('sha256').update(`${sha}\n${component}`).digest('hex').slice(0, 32).split('');
  h[12] = '5';
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `urn:uuid:${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export interface SbomFacts {
  ecosystem: Ecosystem;
  name: string; // package / module name as consumers see it
  version: string; // the ecosystem's version string of this release
  sha: string;
  ref: string;
  commitTime: string; // ISO UTC
  /** Absolute paths that must not appear in the document (the workspace root, temp dirs). */
  strip: string[];
}

/** The package URL of the released component. */
export function purlOf(ecosystem: Ecosystem, name: string, version: string): string {
  if (ecosystem === 'npm') return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
  if (ecosystem === 'pypi') return `pkg:pypi/${name.toLowerCase().replace(/[-_.]+/g, '-')}@${version}`;
  return `pkg:golang/${name}@${version}`;
}

/** Make cdxgen's document reproducible and name the release in it; pure (the input is not changed). */
export function normalizeSbom(bom: any, f: SbomFacts): any {
  let text = JSON.stringify(bom);
  // Longest first, so a temp dir under the workspace is replaced whole.
  for (const abs of [...f.strip].filter(Boolean).sort((a, b) => b.length - a.length)) {
    text = text.split(`${abs}/`).join('').split(abs).join('.');
  }
  const out = JSON.parse(text);
  const purl = purlOf(f.ecosystem, f.name, f.version);
  const oldRef: string | undefined = out.metadata?.component?.['bom-ref'];
  const scoped = f.ecosystem === 'npm' && f.name.startsWith('@') ? f.name.split('/') : null;
  out.serialNumber = derivedSerial(f.sha, purl);
  out.metadata = out.metadata ?? {};
  out.metadata.timestamp = f.commitTime;
  const component = { ...(out.metadata.component ?? {}) };
  delete component.group;
  out.metadata.component = {
    ...component,
    type: 'library',
    ...(scoped ? { group: scoped[0], name: scoped[1] } : { name: f.name }),
    version: f.version,
    purl,
    'bom-ref': purl,
  };
  out.metadata.properties = [
    ...(out.metadata.properties ?? []).filter((p: { name?: string }) => !p.name?.startsWith('io.ameide:')),
    { name: 'io.ameide:git.sha', value: f.sha },
    { name: 'io.ameide:git.ref', value: f.ref },
  ];
  // cdxgen's annotations say in words when it ran (the wall clock): not reproducible, and not evidence.
  delete out.annotations;
  if (oldRef) {
    for (const d of out.dependencies ?? []) {
      if (d.ref === oldRef) d.ref = purl;
      if (Array.isArray(d.dependsOn)) d.dependsOn = d.dependsOn.map((r: string) => (r === oldRef ? purl : r));
    }
  }
  return out;
}

export interface GenerateSbomInput extends Omit<SbomFacts, 'strip'> {
  workspaceRoot: string;
  projectRoot: string; // workspace-relative
  outFile: string; // workspace-relative
  cdxgen: string;
  env?: NodeJS.ProcessEnv;
}

/** Run cdxgen on the project, normalise, write `outFile`; returns the document. */
export async function generateSbom(input: GenerateSbomInput): Promise<unknown> {
  const projectDir = join(input.workspaceRoot, input.projectRoot);
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-sbom-'));
  try {
    const raw = join(tmp, 'bom.json');
    await runOrThrow(cdxgenCommand(input.cdxgen, input.ecosystem, projectDir, raw, input.env));
    let bom: unknown;
    try {
      bom = JSON.parse(readFileSync(raw, 'utf8'));
    } catch (e) {
      throw new ReleaseError(`cdxgen wrote no readable SBOM for ${input.projectRoot}: ${(e as Error).message}`, 'run bash tools/setup.sh to install the pinned cdxgen, then retry', input.projectRoot);
    }
    const doc = normalizeSbom(bom, { ...input, strip: [input.workspaceRoot, tmp] });
    const out = join(input.workspaceRoot, input.outFile);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
    return doc;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The files of a project directory cdxgen reads (manifests and lockfiles; it is run with
 * --no-recurse): with the pack manifest they are what an SBOM is a function of.
 */
const SBOM_SOURCES = /^(package\.json|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?|pyproject\.toml|setup\.py|setup\.cfg|requirements.*\.txt|Pipfile(\.lock)?|poetry\.lock|uv\.lock|pdm\.lock|go\.mod|go\.sum|go\.work(\.sum)?)$/;

/** This module's identity: an entry normalised by other code is never reused (module path + build time). */
const CODE_ID = moduleId(__filename);

/**
 * The key of one SBOM: the pack manifest (SHA, version, every packed file's sha256), the facts
 * the document names (ref, commit time), the bytes of every manifest and lockfile cdxgen reads in
 * the project directory, the cdxgen binary (real path, size, mtime), the spec version and this
 * normaliser. Equal keys give the same document: cdxgen reads nothing else (no install, no network).
 */
export function sbomKey(input: GenerateSbomInput, manifest: PackManifest): string {
  const projectDir = join(input.workspaceRoot, input.projectRoot);
  const sources = readdirSync(projectDir)
    .filter((f) => SBOM_SOURCES.test(f))
    .sort()
    .map((f) => [f, createHash('sha256').update(readFileSync(join(projectDir, f))).digest('hex')]);
  let tool: unknown = input.cdxgen;
  try {
    const real = realpathSync(input.cdxgen);
    const st = statSync(real);
    tool = [real, st.size, st.mtimeMs];
  } catch {
    /* not a file path: the name alone */
  }
  const facts = { ecosystem: input.ecosystem, name: input.name, version: input.version, sha: input.sha, ref: input.ref, commitTime: input.commitTime, projectRoot: input.projectRoot };
  const packed = { ...manifest, files: manifest.files.map((f) => ({ file: f.file, sha256: f.sha256, kind: f.kind })) };
  return createHash('sha256').update(JSON.stringify({ v: 1, code: CODE_ID, spec: SBOM_SPEC_VERSION, tool, facts, packed, sources })).digest('hex');
}

/** A stored document is reused only when it names this release: the package URL and the SHA. */
function namesRelease(doc: any, input: GenerateSbomInput): boolean {
  const sha = (doc?.metadata?.properties ?? []).find((p: { name?: string }) => p?.name === 'io.ameide:git.sha')?.value;
  return doc?.bomFormat === 'CycloneDX' && doc?.metadata?.component?.purl === purlOf(input.ecosystem, input.name, input.version) && sha === input.sha;
}

/**
 * The project's SBOM for one pack state: made by cdxgen once (generateSbom), then reused by every
 * later run of the same key (sbomKey) from the clone's git directory (src/store.ts), so a
 * re-run of a SHA does not run cdxgen again. `outFile` is written either way (the release evidence).
 */
export async function sbomOfPack(input: GenerateSbomInput, manifest: PackManifest, env: Record<string, string | undefined> = process.env): Promise<{ document: unknown; reused: boolean }> {
  const dir = storeDir(input.workspaceRoot, 'sbom', env);
  const name = `${sbomKey(input, manifest)}.cdx.json`;
  const text = readEntry(dir, name);
  if (text !== null) {
    try {
      const document = JSON.parse(text);
      if (namesRelease(document, input)) {
        const out = join(input.workspaceRoot, input.outFile);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, text);
        return { document, reused: true };
      }
    } catch {
      /* torn or foreign entry: made again below */
    }
  }
  const document = await generateSbom(input);
  writeEntry(dir, name, readFileSync(join(input.workspaceRoot, input.outFile), 'utf8'));
  return { document, reused: false };
}
