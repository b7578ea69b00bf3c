/**
 * Bad-input drill (docs/drills.md): one table of named cases, each the real release command
 * (`nx run-many -t publish ghcr`) in a scratch clone against the sandbox registries. Every case must
 * exit non-zero with a clear message (its own pattern, plus a `fix:` or the preflight's table) and
 * leave every registry exactly as it was (read back from the registries after each case). The table
 * of verdicts is printed. After each case the clone is reset (commits, tags, shallow marker, edits).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DRILL_TIMEOUT_MS, MAIN, nxAsync, registryState, secretHits, table } from './drills-support';
import { sandbox, sandboxEnv, ScratchWorkspace } from './workspace';

let env: Record<string, string>;
let ws: ScratchWorkspace;
let base: string;
let baseTags: string[];
const outputs: Record<string, string> = {};

const GO_MOD = 'packages/ameide_sdk_go/go.mod';
const CONFIG_PKG = 'packages/configuration/package.json';
const PYPROJECT = 'packages/ameide_sdk_python/pyproject.toml';

const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

interface Case {
  name: string;
  /** GITHUB_REF of the run; '' = none (the checked-out branch decides). */
  ref: string;
  /** Prepares the clone; a new commit by default (so a dev run has something to publish). */
  setup?: () => void | Promise<void>;
  env?: () => Record<string, string> | Promise<Record<string, string>>;
  extra?: string[];
  message: RegExp;
}

const edit = (file: string, fn: (s: string) => string) => writeFileSync(join(ws.dir, file), fn(readFileSync(join(ws.dir, file), 'utf8')));
const commitTag = (tag: string, message = `bad input: ${tag}`) => {
  ws.commit(message);
  ws.git('tag', '-a', tag, '-m', tag);
};
const nxJsonOption = (key: string, value: string) =>
  edit('nx.json', (s) => {
    const json = JSON.parse(s);
    const plugin = json.plugins.find((p: any) => (p.plugin ?? p) === '@ameideio/nx-ameide-release');
    plugin.options = { ...plugin.options, [key]: value };
    return `${JSON.stringify(json, null, 2)}\n`;
  });
const noSecret = (name: string) => ({ [name]: '', [`${name}_FILE`]: '' });
let tinyTmp = '';

const lookalike = /looks like a release but is not one: a release tag has the form/;
const unsafeRef = /is not a ref name this release flow accepts/;

const CASES: Case[] = [
  // malformed and look-alike tags
  { name: 'tag without v (1.2.3)', ref: 'refs/tags/1.2.3', setup: () => commitTag('1.2.3'), message: lookalike },
  { name: 'tag with two parts (v1.2)', ref: 'refs/tags/v1.2', setup: () => commitTag('v1.2'), message: lookalike },
  { name: 'tag with a capital V (V1.2.3)', ref: 'refs/tags/V1.2.3', setup: () => commitTag('V1.2.3'), message: lookalike },
  { name: 'tag with four parts (v1.2.3.4)', ref: 'refs/tags/v1.2.3.4', setup: () => commitTag('v1.2.3.4'), message: lookalike },
  { name: 'tag with a leading zero (v01.2.3)', ref: 'refs/tags/v01.2.3', setup: () => commitTag('v01.2.3'), message: lookalike },
  // (v1.2.3-rc1 and v1.2.3-beta.1 are releases by design: docs/versioning.md maps them to PEP 440 rc1 and b1)
  { name: 'trailing hyphen (v1.2.3-)', ref: 'refs/tags/v1.2.3-', setup: () => commitTag('v1.2.3-'), message: lookalike },
  { name: 'leading zero in the rc number (v1.2.3-rc.01)', ref: 'refs/tags/v1.2.3-rc.01', setup: () => commitTag('v1.2.3-rc.01'), message: lookalike },
  { name: 'build metadata (v1.2.3+build.5)', ref: 'refs/tags/v1.2.3+build.5', setup: () => commitTag('v1.2.3+build.5'), message: /v1\.2\.3\+build\.5|vX\.Y\.Z/ },
  { name: 'fullwidth digit (v\uff11.2.3)', ref: 'refs/tags/v\uff11.2.3', setup: () => commitTag('v\uff11.2.3'), message: unsafeRef },
  { name: 'Cyrillic Ze for 3 (v1.2.\u0417)', ref: 'refs/tags/v1.2.\u0417', setup: () => commitTag('v1.2.\u0417'), message: unsafeRef },
  // hostile refs
  { name: 'branch `main;rm -rf /` (GITHUB_REF)', ref: 'refs/heads/main;rm -rf /', message: unsafeRef },
  { name: 'branch `$(id)` (GITHUB_REF)', ref: 'refs/heads/$(id)', message: unsafeRef },
  { name: 'branch `$(id)` checked out, no GITHUB_REF', ref: '', setup: () => void ws.git('checkout', '-q', '-b', '$(id)'), message: unsafeRef },
  { name: 'branch with backticks (`id`)', ref: 'refs/heads/`id`', message: unsafeRef },
  { name: 'ref with a newline (NPM_VERSION=9.9.9)', ref: 'refs/heads/x\nNPM_VERSION=9.9.9', message: unsafeRef },
  { name: 'branch with a pipe (main|cat)', ref: 'refs/heads/main|cat', message: unsafeRef },
  // release guards
  { name: 'tag not at HEAD', ref: 'refs/tags/v3.0.0', setup: () => { commitTag('v3.0.0'); ws.commit('one more commit after the tag'); }, message: /v3\.0\.0/ },
  { name: 'tag missing from the clone', ref: 'refs/tags/v3.0.0', message: /tag v3\.0\.0 is not in this clone/ },
  { name: 'older tag than the highest (v4.0.0 after v5.0.0)', ref: 'refs/tags/v4.0.0', setup: () => { commitTag('v5.0.0'); commitTag('v4.0.0'); }, message: /v5\.0\.0 is higher than v4\.0\.0/ },
  { name: 'dirty tree', ref: 'refs/tags/v3.0.0', setup: () => { commitTag('v3.0.0'); edit(CONFIG_PKG, (s) => s.replace('"name"', '"description": "dirty",\n  "name"')); }, message: /dirty|uncommitted|not clean|clean/i },
  { name: 'shallow clone', ref: 'refs/tags/v3.0.0', setup: () => { commitTag('v3.0.0'); writeFileSync(join(ws.dir, '.git', 'shallow'), `${ws.git('rev-parse', 'HEAD~1')}\n`); }, message: /shallow/i },
  { name: 'Go module path without /v2 on v2.0.0', ref: 'refs/tags/v2.0.0', setup: () => commitTag('v2.0.0'), message: /module path github\.com\/ameideio\/ameide-sdk-go does not fit v2\.0\.0/ },
  { name: 'a replace directive in go.mod', ref: 'refs/tags/v1.0.0', setup: () => { edit(GO_MOD, (s) => `${s}\nreplace example.com/x => ../x\n`); commitTag('v1.0.0'); }, message: /replace directive/ },
  { name: 'package.json version not the 0.0.0 placeholder', ref: 'refs/tags/v1.0.0', setup: () => { edit(CONFIG_PKG, (s) => s.replace(/"version": "0\.0\.0"/, '"version": "1.0.0"')); commitTag('v1.0.0'); }, message: /package\.json version is "1\.0\.0", but the repository keeps the placeholder "0\.0\.0"/ },
  { name: 'pyproject version not the 0.0.0 placeholder', ref: 'refs/tags/v1.0.0', setup: () => { edit(PYPROJECT, (s) => s.replace(/^version = "0\.0\.0"/m, 'version = "1.0.0"')); commitTag('v1.0.0'); }, message: /1\.0\.0[\s\S]*0\.0\.0|placeholder/ },
  { name: 'npm dev template yielding an invalid version', ref: MAIN, setup: () => { nxJsonOption('npmDevVersion', '{base}-dev..{datetime}'); ws.commit('bad template'); }, message: /npmDevVersion/ },
  { name: 'PyPI dev template yielding an invalid version', ref: MAIN, setup: () => { nxJsonOption('pypiDevVersion', '{base}-dev-{sha}-x'); ws.commit('bad template'); }, message: /pypiDevVersion/ },
  { name: 'template with an unknown placeholder', ref: MAIN, setup: () => { nxJsonOption('npmDevVersion', '{base}-dev.{nope}'); ws.commit('bad template'); }, message: /\{nope\}|nope/ },
  // credentials
  { name: 'npm token missing', ref: MAIN, env: () => noSecret('NPM_TOKEN'), message: /NPM_TOKEN/ },
  { name: 'npm token wrong', ref: MAIN, env: () => ({ NPM_TOKEN: 'drill-wrong-npm-token-271828', NPM_TOKEN_FILE: '' }), message: /NPM_TOKEN/ },
  { name: 'PyPI password missing', ref: MAIN, env: () => noSecret('PYPI_PASSWORD'), message: /PYPI_PASSWORD|PYPI_TOKEN/ },
  { name: 'PyPI password wrong', ref: MAIN, env: () => ({ PYPI_PASSWORD: 'drill-wrong-pypi-password-1414', PYPI_PASSWORD_FILE: '' }), message: /refused the credentials in PYPI_USERNAME \+ PYPI_PASSWORD/ },
  { name: 'cosign key file missing', ref: MAIN, env: () => ({ COSIGN_KEY: '/nonexistent/cosign.key' }), message: /COSIGN_KEY|cosign/i },
  { name: 'cosign password wrong', ref: MAIN, env: () => ({ COSIGN_PASSWORD: 'drill-wrong-cosign-password-1732', COSIGN_PASSWORD_FILE: '' }), message: /COSIGN_PASSWORD/ },
  // destinations
  { name: 'npm registry unreachable', ref: MAIN, env: async () => ({ AMEIDE_NPM_REGISTRY: `http://127.0.0.1:${await closedPort()}/` }), message: /npm registry: cannot reach 127\.0\.0\.1:\d+ .*ECONNREFUSED/ },
  { name: 'PyPI unreachable', ref: MAIN, env: async () => { const p = await closedPort(); return { AMEIDE_PYPI_UPLOAD_URL: `http://127.0.0.1:${p}/`, AMEIDE_PYPI_INDEX_URL: `http://127.0.0.1:${p}/simple/` }; }, message: /cannot reach 127\.0\.0\.1:\d+/ },
  { name: 'OCI registry unreachable', ref: MAIN, env: async () => ({ AMEIDE_OCI_REGISTRY: `127.0.0.1:${await closedPort()}` }), message: /OCI registry 127\.0\.0\.1:\d+ is not reachable|cannot reach 127\.0\.0\.1/ },
  { name: 'npm registry not a URL', ref: MAIN, env: () => ({ AMEIDE_NPM_REGISTRY: 'not a url' }), message: /AMEIDE_NPM_REGISTRY|not a url/ },
  // the machine
  {
    name: 'full temp disk (TMPDIR on a 64 KiB tmpfs)',
    ref: MAIN,
    setup: () => {
      ws.commit('bad input: full temp disk');
      tinyTmp = join(dirname(ws.dir), 'tiny-tmp');
      mkdirSync(tinyTmp, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', tinyTmp]);
      writeFileSync(join(tinyTmp, 'filler'), Buffer.alloc(60 * 1024)); // what is left: a few KiB
    },
    env: () => ({ TMPDIR: tinyTmp }),
    extra: ['--skip-nx-cache'],
    message: /ENOSPC|no space left/i,
  },
  // artifacts changed after pack
  {
    name: 'pack manifest edited after packing',
    ref: MAIN,
    setup: async () => {
      ws.commit('bad input: manifest edited');
      const packed = await nxAsync(ws, MAIN, ['pack']);
      if (packed.code !== 0) throw new Error(`pack failed:\n${packed.output.slice(-3000)}`);
      edit('dist/configuration/pack-manifest.json', (s) => s.replace(/"version": "([^"]+)"/, '"version": "9.9.9"'));
    },
    extra: ['--excludeTaskDependencies', '--projects=configuration'], // only the edited project: the others would rightly publish
    message: /pack manifest|9\.9\.9/,
  },
  {
    name: 'packed tarball edited after packing',
    ref: MAIN,
    setup: async () => {
      ws.commit('bad input: tarball edited');
      const packed = await nxAsync(ws, MAIN, ['pack']);
      if (packed.code !== 0) throw new Error(`pack failed:\n${packed.output.slice(-3000)}`);
      const m = ws.readJson('dist/configuration/pack-manifest.json');
      appendFileSync(join(ws.dir, m.files.find((f: any) => f.kind === 'tgz').file), 'tampered');
    },
    extra: ['--excludeTaskDependencies', '--projects=configuration'], // only the edited project: the others would rightly publish
    message: /sha256/,
  },
];

function reset() {
  if (tinyTmp) {
    try {
      execFileSync('umount', [tinyTmp]);
    } catch {
      /* not mounted */
    }
    tinyTmp = '';
  }
  rmSync(join(ws.dir, '.git', 'shallow'), { force: true });
  ws.git('checkout', '-q', '-f', 'main');
  ws.git('reset', '-q', '--hard', base);
  ws.git('clean', '-fdq');
  for (const t of ws.git('tag', '--list').split('\n').filter(Boolean)) if (!baseTags.includes(t)) ws.git('tag', '-d', t);
  for (const b of ws.git('branch', '--format=%(refname:short)').split('\n').filter((b) => b && b !== 'main')) ws.git('branch', '-q', '-D', b);
}

beforeAll(async () => {
  env = await sandboxEnv();
  ws = new ScratchWorkspace(env);
  // A control: one good dev run publishes, so "nothing published" below is not an empty claim.
  ws.commit('bad input drill: the published base');
  const good = await nxAsync(ws, MAIN, ['publish', 'ghcr']);
  outputs.control = good.output;
  if (good.code !== 0) throw new Error(`the control dev publish failed:\n${good.output.slice(-4000)}`);
  base = ws.head();
  baseTags = ws.git('tag', '--list').split('\n').filter(Boolean);
}, DRILL_TIMEOUT_MS);

afterAll(async () => {
  if (ws) reset();
  if (env) await sandbox.down(env);
  if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
});

describe('bad-input drill', () => {
  it(`${CASES.length} bad inputs: each exits non-zero with a clear message, nothing published`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    // DRILL_CASES (a regular expression over the names) runs a subset, e.g. while fixing one case.
    const cases = CASES.filter((c) => new RegExp(process.env.DRILL_CASES || '.').test(c.name));
    const rows: string[][] = [];
    const failures: string[] = [];
    for (const c of cases) {
      let verdict = 'ok';
      let line = '';
      try {
        // compared per case: one case that publishes is named once, not blamed on every later case
        const before = await registryState(env);
        if (c.setup) await c.setup();
        else ws.commit(`bad input: ${c.name}`);
        const extraEnv = { ...(c.env ? await c.env() : {}), GITHUB_REF: c.ref };
        const run = await nxAsync(ws, c.ref, ['publish', 'ghcr'], c.extra ?? [], extraEnv);
        outputs[c.name] = run.output;
        const m = c.message.exec(run.output);
        line = (run.output.split('\n').find((l) => (m ? l.includes(m[0].split('\n')[0]) : /error|refused|fix:/i.test(l))) ?? '').trim();
        const clear = m && /\n\s*fix: |\| check \| problem \| fix \|/.test(run.output);
        const after = await registryState(env);
        const untouched = JSON.stringify(after) === JSON.stringify(before);
        if (run.code === 0) verdict = 'EXIT 0';
        else if (!clear) verdict = 'UNCLEAR';
        if (!untouched) verdict = `${verdict === 'ok' ? '' : `${verdict}, `}PUBLISHED`;
        if (verdict !== 'ok') failures.push(`${c.name}: ${verdict}\n${run.output.slice(-2500)}`);
        rows.push([c.name, `exit ${run.code}`, untouched ? 'unchanged' : 'CHANGED', verdict, line.replace(/\s+/g, ' ').slice(0, 120)]);
        console.log(`bad input ${rows.length}/${cases.length}: ${rows[rows.length - 1].join(' | ')}`);
      } catch (e) {
        failures.push(`${c.name}: the case itself failed: ${(e as Error).message}`);
        rows.push([c.name, '-', '-', 'CASE ERROR', (e as Error).message.split('\n')[0].slice(0, 120)]);
      } finally {
        reset();
      }
    }
    console.log(`bad-input table (${cases.length} of ${CASES.length} cases)\n${table(['case', 'exit', 'registries', 'verdict', 'message'], rows)}`);
    expect(failures).toEqual([]);
  }, DRILL_TIMEOUT_MS);

  it('no secret in any output of the drill (wrong credentials included)', () => {
    const wrong = { 'wrong NPM_TOKEN': 'drill-wrong-npm-token-271828', 'wrong PYPI_PASSWORD': 'drill-wrong-pypi-password-1414', 'wrong COSIGN_PASSWORD': 'drill-wrong-cosign-password-1732' };
    expect(secretHits(outputs, env, wrong)).toEqual([]);
  });
});
