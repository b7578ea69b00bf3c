/**
 * What the drills (docs/drills.md) share: counting artifacts from the registries themselves (their
 * storage folders and their APIs, never the plugin's own report), and the secret scan every drill ends with.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registries } from './registries';
import { REPO_ROOT, type ScratchWorkspace } from './workspace';

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const secretScan = require(join(REPO_ROOT, 'tools', 'drills', 'secret-scan.js'));
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const faultProxy = require(join(REPO_ROOT, 'tools', 'drills', 'fault-proxy.js'));

export const MAIN = 'refs/heads/main';
export const NPM = ['@ameideio/configuration', '@ameideio/ameide-sdk-ts'];
export const PY = 'ameide-sdk-python';
export const IMAGES = ['configuration', 'ameide-sdk-ts', 'ameide-sdk-python', 'ameide-sdk-go'];
const PROJECTS = ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go'];

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Problems with one SHA's dev artifacts in the registries; empty when each is there exactly once, whole. */
export async function exactlyOnce(ws: ScratchWorkspace, env: Record<string, string>, sha: string): Promise<string[]> {
  const reg = new Registries(env);
  const problems: string[] = [];
  const manifest = (project: string) => ws.readJson(`dist/${project}/pack-manifest.json`);

  // npm: one version per package carries this gitHead, and Verdaccio stores one tarball for it,
  // byte-identical to the packed one.
  for (const [i, name] of NPM.entries()) {
    const doc = await reg.npmPackument(name);
    const mine = Object.entries(doc?.versions ?? {}).filter(([, v]: [string, any]) => v.gitHead === sha);
    if (mine.length !== 1) {
      problems.push(`npm ${name}: ${mine.length} versions with gitHead ${sha.slice(0, 7)}`);
      continue;
    }
    const version = mine[0][0];
    const m = manifest(PROJECTS[i]);
    const tgz = m.files.find((f: any) => f.kind === 'tgz');
    const stored = walk(join(env.SANDBOX_DIR, 'npm', 'storage', name)).filter((f) => f.endsWith(`-${version}.tgz`));
    if (stored.length !== 1) problems.push(`npm ${name}@${version}: ${stored.length} tarballs in Verdaccio's storage`);
    else if (sha256(stored[0]) !== tgz.sha256) problems.push(`npm ${name}@${version}: stored tarball differs from the packed one`);
  }

  // PyPI: the wheel and the sdist of this SHA's version, once each in pypiserver's folder and index, whole.
  const py = manifest('ameide_sdk_python');
  const files = readdirSync(join(env.SANDBOX_DIR, 'pypi', 'packages'));
  const listed = await reg.pypiFiles(PY);
  for (const f of py.files) {
    const base = f.file.split('/').pop();
    const n = files.filter((x) => x === base).length;
    if (n !== 1 || listed.filter((x) => x === base).length !== 1) problems.push(`pypi ${base}: ${n} in storage, ${listed.filter((x) => x === base).length} in the index`);
    else if (sha256(join(env.SANDBOX_DIR, 'pypi', 'packages', base)) !== f.sha256) problems.push(`pypi ${base}: stored file differs from the packed one`);
  }
  const strays = files.filter((x) => !/\.(whl|tar\.gz)$/.test(x));
  if (strays.length) problems.push(`pypi: partial or stray files ${strays.join(', ')}`);

  // OCI: the <sha> tag of every image, labelled with this SHA.
  for (const image of IMAGES) {
    const info = reg.inspect(image, sha);
    if (!info) problems.push(`oci ${image}:${sha.slice(0, 7)} missing`);
    else if (info.Labels['org.opencontainers.image.revision'] !== sha) problems.push(`oci ${image}:${sha.slice(0, 7)} labelled ${info.Labels['org.opencontainers.image.revision']}`);
  }
  return problems;
}

/** Everything consumers can see in the registries, read back from them: the "before" and "after" of a refused run (drills, half-ship). */
export async function registryState(env: Record<string, string>) {
  const reg = new Registries(env);
  const npm: Record<string, unknown> = {};
  for (const name of NPM) {
    const doc = await reg.npmPackument(name);
    npm[name] = doc ? { versions: Object.keys(doc.versions).sort(), distTags: doc['dist-tags'] } : null;
  }
  const oci: Record<string, string[]> = {};
  for (const image of IMAGES) {
    const res = await fetch(`http://${env.AMEIDE_OCI_REGISTRY}/v2/${env.AMEIDE_OCI_NAMESPACE}/${image}/tags/list`, { headers: { connection: 'close' } });
    oci[image] = res.status === 404 ? [] : [...(((await res.json()) as any).tags ?? [])].sort();
  }
  // every ref of the mirror with the object it names: a moved tag shows, not only a new one
  const go = execFileSync('git', ['--git-dir', env.SANDBOX_GO_MIRROR, 'for-each-ref', '--format=%(objectname) %(refname)'], { encoding: 'utf8' }).trim();
  return {
    npm,
    npmStorage: walk(join(env.SANDBOX_DIR, 'npm', 'storage')).filter((f) => f.endsWith('.tgz')).sort(),
    pypi: readdirSync(join(env.SANDBOX_DIR, 'pypi', 'packages')).sort(),
    oci,
    go,
  };
}

/** The secret scan every drill ends with: every output it collected, every sandbox secret, in every encoding. */
export function secretHits(outputs: Record<string, string>, env: Record<string, string>, extra: Record<string, string> = {}): string[] {
  const secrets = { ...secretScan.sandboxSecrets(env), ...extra };
  if (Object.keys(secrets).length < 3) throw new Error(`secret scan: only ${Object.keys(secrets).join(', ')} found in the sandbox`);
  return secretScan.scanTexts(outputs, secrets).map((h: any) => `${h.secret} (${h.form}) in ${h.source}`);
}

/** A seeded generator (printed by each drill, so a failure can be replayed). */
export const seeded = (seed: number): (() => number) => faultProxy.prng(seed);

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const width = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i])).join(' | ')} |`;
  return [line(headers), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/**
 * `ws.nx` without blocking this process: the fault proxies live in the test's event loop, which
 * spawnSync would freeze. Same command, same environment as ScratchWorkspace.nx.
 */
export function nxAsync(ws: ScratchWorkspace, ref: string, targets: string[], extra: string[] = [], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(ws.dir, 'node_modules', '.bin', 'nx'), ['run-many', '-t', ...targets, '--parallel=1', '--outputStyle=static', ...extra], {
      cwd: ws.dir,
      env: { ...process.env, ...ws.env, GITHUB_REF: ref, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => resolve({ code: 127, output: `${output}\ncannot start nx: ${e.message}` }));
    child.on('close', (code) => {
      ws.outputs.push(output);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** Drills loop over many runs; on a loaded 2-core machine one run can take minutes. */
export const DRILL_TIMEOUT_MS = Number(process.env.DRILL_TIMEOUT_MIN || 120) * 60 * 1000;
