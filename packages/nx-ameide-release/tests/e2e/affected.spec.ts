/**
 * Affected-aware dev runs, end to end (issue 11's acceptance), in a scratch clone against the
 * sandbox registries: two dev commits on main, the second changing only the Python SDK. Each run
 * publishes exactly the projects `nx-ameide-release affected` chooses from what the dev channel
 * last published; then `trace` answers for each SHA exactly what that run's manifest.json records.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Registries } from './registries';
import { REPO_ROOT, sandbox, sandboxEnv, ScratchWorkspace } from './workspace';

const MAIN = 'refs/heads/main';
const BIN = join(REPO_ROOT, 'packages/nx-ameide-release/bin/nx-ameide-release.js');
const RELEASE_PROJECTS = ['ameide_sdk_go', 'ameide_sdk_python', 'ameide_sdk_ts', 'configuration', 'nx-ameide-release'];
const PY = 'ameide_sdk_python';

let env: Record<string, string>;
let ws: ScratchWorkspace;
let reg: Registries;
let tmp: string;

interface Run {
  sha: string;
  ctx: Record<string, any>;
  /** What `affected --format github` wrote: the chosen list, its stdout. */
  projects: string[];
  affectedOut: string;
  summary: string;
  publishOutput: string;
  manifest: any;
}
const runs: Run[] = [];

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args, '--cwd', ws.dir], { encoding: 'utf8', env: { ...process.env, ...env, GITHUB_REF: MAIN } });
}

/** What the workflow's dev run does: affected (as a GitHub step), then publish exactly that list. */
function devRun(): Run {
  const n = runs.length;
  const output = join(tmp, `output-${n}`);
  const summary = join(tmp, `summary-${n}`);
  writeFileSync(output, '');
  const a = spawnSync(process.execPath, [BIN, 'affected', '--format', 'github', '--cwd', ws.dir], {
    encoding: 'utf8',
    env: { ...process.env, ...env, GITHUB_REF: MAIN, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
  });
  if (a.status !== 0) throw new Error(`affected failed (exit ${a.status}):\n${a.stdout}${a.stderr}`);
  const line = readFileSync(output, 'utf8').split('\n').find((l) => l.startsWith('projects='))!;
  const projects = line.slice('projects='.length).split(',').filter(Boolean);
  let publishOutput = '';
  if (projects.length) {
    const run = ws.nx(MAIN, ['pack', 'publish', 'ghcr'], [`--projects=${projects.join(',')}`]);
    if (run.code !== 0) throw new Error(`nx failed (exit ${run.code}):\n${run.output.slice(-6000)}`);
    publishOutput = run.output;
  }
  const ctx = JSON.parse(cli('context', '--format', 'json').stdout);
  const r: Run = { sha: ws.head(), ctx, projects, affectedOut: a.stdout, summary: readFileSync(summary, 'utf8'), publishOutput, manifest: ws.readJson('dist/release/manifest.json') };
  runs.push(r);
  return r;
}

/** Outcomes of an upload by this run (packages: published, images: pushed). */
const UPLOADED = ['published', 'pushed'];
/** The artifacts a run's manifest records as on the registry (a Go module on the dev channel is skipped: nothing to trace). */
const onRegistry = (m: any) => m.artifacts.filter((a: any) => [...UPLOADED, 'already-published', 'unchanged'].includes(a.outcome));
/** The projects whose package (publish) or image (oci) the run uploaded. */
const uploaded = (m: any, image: boolean) => [...new Set(m.artifacts.filter((a: any) => (a.ecosystem === 'oci') === image && UPLOADED.includes(a.outcome)).map((a: any) => a.project))].sort();

/** One artifact, comparable between trace and manifest.json (npm: one entry per version; PyPI: per file). */
const traceKey = (a: any) => (a.ecosystem === 'pypi' ? `pypi ${a.file}` : a.ecosystem === 'oci' ? `oci ${a.name}@${a.digest}` : `${a.ecosystem} ${a.name}@${a.version}`);
// the manifest keeps npm's +build metadata, which the registry drops
const manifestKey = (a: any) => (a.ecosystem === 'pypi' ? `pypi ${a.file}` : a.ecosystem === 'oci' ? `oci ${a.name}@${a.digest ?? a.imageDigest}` : `${a.ecosystem} ${a.name}@${a.version.replace(/\+.*$/, '')}`);

beforeAll(async () => {
  env = await sandboxEnv();
  reg = new Registries(env);
  ws = new ScratchWorkspace(env);
  tmp = mkdtempSync(join(tmpdir(), 'ameide-e2e-affected-'));
}, 10 * 60 * 1000);

afterAll(async () => {
  if (env) await sandbox.down(env);
  if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('dev runs publish what changed since the dev channel last published', () => {
  it('first commit: nothing on the dev channel yet, so every release project, and it says why', () => {
    const r = devRun();
    expect(r.projects).toEqual(RELEASE_PROJECTS);
    expect(r.affectedOut).toMatch(/dev channel at [0-9a-f]{7}: 5 of 5 release project\(s\) to publish/);
    expect(r.affectedOut).toMatch(/ameide_sdk_python\s+publish\s+every file counts: dev channel unknown: image ameide-sdk-python:dev: nothing published; PyPI ameide-sdk-python: no \.devN version published/);
    expect(r.summary).toContain('### Projects to publish (dev channel');
    expect(uploaded(r.manifest, false)).toEqual(RELEASE_PROJECTS.filter((p) => p !== 'ameide_sdk_go')); // Go: no dev versions
    expect(uploaded(r.manifest, true)).toEqual(RELEASE_PROJECTS);
  });

  it('second commit changes only the Python SDK: publishes only it and its image, from the first run as base', async () => {
    const first = runs[0];
    writeFileSync(join(ws.dir, 'packages/ameide_sdk_python/src/ameide_sdk/config.py'), `${readFileSync(join(ws.dir, 'packages/ameide_sdk_python/src/ameide_sdk/config.py'), 'utf8')}\n# e2e: a change of the Python SDK alone\n`);
    ws.git('add', '-A');
    execFileSync('git', ['commit', '-q', '-m', 'fix(python): only the Python SDK'], {
      cwd: ws.dir,
      env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@localhost', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@localhost', GIT_COMMITTER_DATE: `${Number(ws.git('log', '-1', '--format=%ct')) + 60} +0000` },
    });
    const r = devRun();
    expect(r.projects).toEqual([PY]);
    const base = first.sha.slice(0, 7);
    expect(r.affectedOut).toMatch(new RegExp(`ameide_sdk_python\\s+publish\\s+base ${base}: the dev channel's last publish \\(image :dev, newest PyPI \\.devN\\); changed since`));
    expect(r.affectedOut).toMatch(new RegExp(`ameide_sdk_ts\\s+skip\\s+base ${base}: the dev channel's last publish \\(npm dist-tag dev, image :dev\\); nothing of it or its dependencies changed since`));
    expect(uploaded(r.manifest, false)).toEqual([PY]);
    expect(uploaded(r.manifest, true)).toEqual([PY]);
    expect(r.publishOutput).not.toMatch(/\[publish (?!ameide_sdk_python)[\w-]+\] published/);
    // The registries agree: the second SHA is on PyPI and under the Python SDK's image only.
    expect((await reg.pypiFiles('ameide-sdk-python')).filter((f) => f.includes(r.ctx.PYPI_VERSION))).toHaveLength(2);
    expect(reg.inspect('ameide-sdk-python', 'dev')!.Labels['org.opencontainers.image.revision']).toBe(r.sha);
    for (const image of ['configuration', 'ameide-sdk-ts', 'ameide-sdk-go', 'nx-ameide-release']) {
      expect([image, reg.inspect(image, r.sha)]).toEqual([image, null]);
      expect(reg.inspect(image, 'dev')!.Labels['org.opencontainers.image.revision']).toBe(first.sha);
    }
    expect((await reg.npmPackument('@ameideio/configuration'))['dist-tags'].dev).toBe(first.ctx.NPM_VERSION.replace(/\+.*$/, ''));
  });

  it('a re-run of the second SHA chooses nothing, and publishes nothing', () => {
    const output = join(tmp, 'rerun');
    writeFileSync(output, '');
    const a = spawnSync(process.execPath, [BIN, 'affected', '--format', 'github', '--cwd', ws.dir], { encoding: 'utf8', env: { ...process.env, ...env, GITHUB_REF: MAIN, GITHUB_OUTPUT: output } });
    expect([a.status, readFileSync(output, 'utf8')]).toEqual([0, 'projects=\n']);
    expect(a.stdout).toMatch(/0 of 5 release project\(s\) to publish: \(none\)/);
  });
});

describe('trace answers each SHA from the registries, as its run recorded it', () => {
  it.each([0, 1])('trace of run %i\'s SHA lists exactly the artifacts of that run\'s manifest.json', (i) => {
    const r = runs[i];
    expect([r.manifest.gitSha, r.manifest.channel]).toEqual([r.sha, 'dev']);
    const t = cli('trace', r.sha, '--format', 'json');
    expect([t.status, t.stderr]).toEqual([0, '']);
    const traced = JSON.parse(t.stdout).artifacts;
    expect(traced.length).toBeGreaterThan(0);
    expect([...new Set(traced.map(traceKey))].sort()).toEqual([...new Set(onRegistry(r.manifest).map(manifestKey))].sort());
    expect(traced.every((a: any) => a.gitSha === r.sha)).toBe(true);
  });

  it('trace of a SHA nothing was built from exits 1', () => {
    const t = cli('trace', '0000000');
    expect(t.status).toBe(1);
    expect(t.stdout + t.stderr).toMatch(/0000000/);
  });

  it('the reverse lookups of npm, PyPI and OCI artifacts return their SHA (Go publishes nothing on the dev channel)', () => {
    const [first, second] = runs;
    const sha = (ref: string) => {
      const t = cli('trace', ref, '--format', 'json');
      expect([ref, t.status, t.stderr]).toEqual([ref, 0, '']);
      return JSON.parse(t.stdout).sha;
    };
    expect(sha(`npm:@ameideio/configuration@${first.ctx.NPM_VERSION.replace(/\+.*$/, '')}`)).toBe(first.sha);
    expect(sha(`pypi:ameide-sdk-python==${first.ctx.PYPI_VERSION}`)).toBe(first.sha);
    expect(sha(`pypi:ameide-sdk-python==${second.ctx.PYPI_VERSION}`)).toBe(second.sha);
    expect(sha(`oci:ameide-sdk-python:${second.sha}`)).toBe(second.sha);
    expect(sha('oci:ameide-sdk-go:dev')).toBe(first.sha);
    expect(reg.goTags()).toEqual({});
  });
});
