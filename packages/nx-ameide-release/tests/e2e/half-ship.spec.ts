/**
 * A coordinated release never half-ships (issue 10), end to end: the real packages in one scratch
 * clone, real registries on loopback. Each mistake a new user makes, in one package or one
 * registry, stops the whole run before any upload, and every registry holds exactly what it held
 * before; then the fixed commit releases v2.0.0 cleanly. An upload killed after the preflight is
 * completed by the same command, each artifact once. Dev publishes keep npm `latest` on `dev`
 * until the first release; a backport moves neither `latest` nor the Go mirror's default branch.
 * The steps build on each other, in order, like the commits and tags of a real repository.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Registries } from './registries';
import { descendants, sandbox, sandboxEnv, ScratchWorkspace, type NxRun } from './workspace';
import { registryState } from './drills-support';


const MAIN = 'refs/heads/main';
const V2 = 'refs/tags/v2.0.0';
const NPM = ['@ameideio/configuration', '@ameideio/ameide-sdk-ts'];
const PY = 'ameide-sdk-python';
const IMAGES = ['configuration', 'ameide-sdk-ts', 'ameide-sdk-python', 'ameide-sdk-go'];
const GO_MOD = 'packages/ameide_sdk_go/go.mod';
const CONFIG_PKG = 'packages/configuration/package.json';

let env: Record<string, string>;
let ws: ScratchWorkspace;
let reg: Registries;
const shas: Record<string, string> = {};

function expectOk(run: NxRun) {
  if (run.code !== 0) throw new Error(`nx failed (exit ${run.code}):\n${run.output.slice(-6000)}`);
}

const mirrorRef = (ref: string) => execFileSync('git', ['--git-dir', env.SANDBOX_GO_MIRROR, 'rev-parse', ref], { encoding: 'utf8' }).trim();

/** A loopback port nothing listens on: an unreachable registry. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** Edit a file of the scratch clone, commit, and (re)tag v2.0.0 on the new commit (the tag was never pushed). */
function commitAndTagV2(message: string, edit: () => void): string {
  edit();
  const sha = ws.commit(message);
  if (ws.git('tag', '--list', 'v2.0.0')) ws.git('tag', '-d', 'v2.0.0');
  ws.tag('v2.0.0');
  return sha;
}


/** `nx run-many` as ws.nx runs it, killed (SIGKILL, the whole process tree) as soon as `killWhen` appears in its output. */
function nxKilledWhen(ref: string, targets: string[], killWhen: RegExp): Promise<NxRun & { killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(join(ws.dir, 'node_modules', '.bin', 'nx'), ['run-many', '-t', ...targets, '--parallel=1', '--outputStyle=static'], {
      cwd: ws.dir,
      env: { ...process.env, ...ws.env, GITHUB_REF: ref, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' },
    });
    let output = '';
    let killed = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (!killed && killWhen.test(output)) {
        killed = true;
        for (const pid of descendants(child.pid!)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      ws.outputs.push(output);
      resolve({ code: code ?? 1, output, killed });
    });
  });
}

beforeAll(async () => {
  env = await sandboxEnv();
  reg = new Registries(env);
  ws = new ScratchWorkspace(env);
  shas.base = ws.head();
}, 10 * 60 * 1000);

afterAll(async () => {
  if (env) await sandbox.down(env);
  if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
});

describe('before the first release', () => {
  it('after only dev publishes, npm latest follows dev: never the first, stale snapshot', async () => {
    expectOk(ws.nx(MAIN, ['publish']));
    shas.dev2 = ws.commit('second dev commit');
    expectOk(ws.nx(MAIN, ['publish']));
    for (const name of NPM) {
      const tags = JSON.parse(execFileSync('npm', ['view', name, 'dist-tags', '--json', '--registry', env.AMEIDE_NPM_REGISTRY], { encoding: 'utf8', cwd: dirname(ws.dir) }));
      const doc = await reg.npmPackument(name);
      expect(Object.keys(doc.versions)).toHaveLength(2);
      expect(doc.versions[tags.dev].gitHead).toBe(shas.dev2);
      expect(tags.latest).toBe(tags.dev);
    }
  });
});

describe('one mistake anywhere: the run stops before any upload, every registry unchanged', () => {
  let before: Awaited<ReturnType<typeof registryState>>;
  beforeAll(async () => {
    before = await registryState(env);
  });

  it('a Go module path without /v2 on v2.0.0', async () => {
    commitAndTagV2('release 2.0.0 (go.mod still v1)', () => undefined);
    const run = ws.nx(V2, ['publish', 'ghcr']);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/module path github\.com\/ameideio\/ameide-sdk-go does not fit v2\.0\.0/);
    expect(run.output).toMatch(/set `module github\.com\/ameideio\/ameide-sdk-go\/v2`/);
    expect(run.output).not.toMatch(/\[publish \w+\] (published|already-published)/);
    expect(await registryState(env)).toEqual(before);
  });

  it('a replace directive', async () => {
    commitAndTagV2('go.mod: /v2, and a replace', () =>
      writeFileSync(join(ws.dir, GO_MOD), 'module github.com/ameideio/ameide-sdk-go/v2\n\ngo 1.22\n\nreplace example.com/x => ../x\n'),
    );
    const run = ws.nx(V2, ['publish', 'ghcr']);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/replace directive on line \d+ \(example\.com\/x.*\.\.\/x\)/);
    expect(await registryState(env)).toEqual(before);
  });

  it('a version other than the 0.0.0 placeholder in one package.json', async () => {
    commitAndTagV2('go.mod without replace; configuration with a hand-set version', () => {
      writeFileSync(join(ws.dir, GO_MOD), 'module github.com/ameideio/ameide-sdk-go/v2\n\ngo 1.22\n');
      const pkg = ws.readJson(CONFIG_PKG);
      writeFileSync(join(ws.dir, CONFIG_PKG), `${JSON.stringify({ ...pkg, version: '2.0.0' }, null, 2)}\n`);
    });
    const run = ws.nx(V2, ['publish', 'ghcr']);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/package\.json version is "2\.0\.0", but the repository keeps the placeholder "0\.0\.0"/);
    expect(await registryState(env)).toEqual(before);
  });

  it('a wrong password for one registry (PyPI): named, with how to check it, never shown', async () => {
    shas.fixed = commitAndTagV2('configuration back on the placeholder', () => {
      const pkg = ws.readJson(CONFIG_PKG);
      writeFileSync(join(ws.dir, CONFIG_PKG), `${JSON.stringify({ ...pkg, version: '0.0.0' }, null, 2)}\n`);
    });
    const wrong = 'wrong-password-e2e-3141';
    const run = ws.nx(V2, ['publish', 'ghcr'], [], { PYPI_PASSWORD: wrong, PYPI_PASSWORD_FILE: '' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/\| ameide_sdk_python \| pypi \| credentials \| PyPI upload URL http:\/\/127\.0\.0\.1:\d+\/ refused the credentials in PYPI_USERNAME \+ PYPI_PASSWORD \(HTTP 403\) \| .*answers 400 when they are accepted/);
    expect(run.output).toMatch(/nothing is uploaded by any project of this run/);
    expect(run.output).not.toContain(wrong);
    expect(await registryState(env)).toEqual(before);
  });

  it('an unreachable registry (npm): host and time named', async () => {
    const port = await closedPort();
    const run = ws.nx(V2, ['publish', 'ghcr'], [], { AMEIDE_NPM_REGISTRY: `http://127.0.0.1:${port}/` });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(new RegExp(`\\| configuration \\| npm \\| destination \\| npm registry: cannot reach 127\\.0\\.0\\.1:${port} .*ECONNREFUSED, gave up after at most 10 s`));
    expect(run.output).toMatch(new RegExp(`\\| ameide_sdk_ts \\| npm \\| destination \\| npm registry: cannot reach 127\\.0\\.0\\.1:${port}`));
    expect(await registryState(env)).toEqual(before); // PyPI, Go and the images were not touched either
  });

  it('then the fixed commit releases v2.0.0 cleanly, everywhere', async () => {
    const run = ws.nx(V2, ['publish', 'ghcr']);
    expectOk(run);
    for (const name of NPM) {
      const doc = await reg.npmPackument(name);
      expect(doc.versions['2.0.0'].gitHead).toBe(shas.fixed);
      expect(doc['dist-tags'].latest).toBe('2.0.0');
    }
    expect(await reg.pypiFiles(PY)).toEqual(expect.arrayContaining(['ameide_sdk_python-2.0.0-py3-none-any.whl', 'ameide_sdk_python-2.0.0.tar.gz']));
    expect(reg.goTags()).toEqual({ 'v2.0.0': shas.fixed });
    for (const image of IMAGES) {
      const release = reg.inspect(image, '2.0.0')!;
      expect(release.Labels['org.opencontainers.image.revision']).toBe(shas.fixed);
      for (const tag of ['2.0', 'latest']) expect(reg.inspect(image, tag)!.Digest).toBe(release.Digest);
    }
  });
});

describe('after the preflight, failures are recoverable', () => {
  it('an upload killed mid-run: the same command completes the rest, each artifact exactly once', async () => {
    shas.dev3 = ws.commit('a dev commit after 2.0.0');
    const killed = await nxKilledWhen(MAIN, ['publish', 'ghcr'], /\[publish configuration\] published: /);
    expect(killed.killed).toBe(true);
    const ours = Object.entries((await reg.npmPackument(NPM[0])).versions).find(([, v]: [string, any]) => v.gitHead === shas.dev3)?.[0];
    expect(ours).toMatch(/^2\.0\.0-dev\./); // configuration got out before the kill
    const pyDev = (files: string[]) => files.filter((f) => f.includes('.dev') && f.startsWith('ameide_sdk_python-2.0.0.dev'));
    const sdkTs = (await reg.npmPackument(NPM[1])).versions[ours!];
    const afterKill = { ts: Boolean(sdkTs), py: pyDev(await reg.pypiFiles(PY)).length, image: reg.inspect('configuration', shas.dev3) !== null };
    expect(afterKill.ts && afterKill.py === 2 && afterKill.image).toBe(false); // the kill left work undone

    const rerun = ws.nx(MAIN, ['publish', 'ghcr']);
    expectOk(rerun);
    expect(rerun.output).toMatch(/\[publish configuration\] already-published/);
    expect(rerun.output).toMatch(/\[publish \w+\] published: /); // what the kill left undone
    for (const name of NPM) expect((await reg.npmPackument(name)).versions[ours!].gitHead).toBe(shas.dev3);
    expect(pyDev(await reg.pypiFiles(PY))).toHaveLength(2); // one wheel, one sdist: nothing twice
    for (const image of IMAGES.slice(0, 3)) expect(reg.inspect(image, shas.dev3)!.Labels['org.opencontainers.image.revision']).toBe(shas.dev3);
    // npm latest stayed on the release through the dev publishes
    for (const name of NPM) expect((await reg.npmPackument(name))['dist-tags'].latest).toBe('2.0.0');
  });
});

describe('nx affected', () => {
  it('publishes only what changed, but every release project\'s preflight gates it', () => {
    const graph = JSON.parse(ws.nxCommand(['affected', '-t', 'publish', '--base=HEAD~1', '--head=HEAD', '--graph=stdout']));
    const tasks = Object.keys(graph.tasks.tasks);
    expect(tasks.filter((t) => t.endsWith(':publish')).sort()).toEqual(['ameide_sdk_ts:publish', 'configuration:publish']);
    expect(tasks.filter((t) => t.endsWith(':preflight')).sort()).toEqual(['ameide_sdk_go', 'ameide_sdk_python', 'ameide_sdk_ts', 'configuration', 'nx-ameide-release'].map((p) => `${p}:preflight`));
    for (const publish of ['ameide_sdk_ts:publish', 'configuration:publish']) {
      const deps = graph.tasks.dependencies[publish].map((d: { id: string } | string) => (typeof d === 'string' ? d : d.id));
      expect(deps).toEqual(expect.arrayContaining(['ameide_sdk_go:preflight', 'ameide_sdk_python:preflight']));
    }
  });
});

describe('a backport', () => {
  it('v1.9.1 after v2.0.0: refused with a hint that works as printed; with --allowBackport latest, 2.0 and the mirror default branch stay', async () => {
    ws.git('checkout', '-q', '-b', 'release-1.9', shas.base);
    try {
      shas.backport = ws.commit('a fix for the 1.9 line');
      ws.tag('v1.9.1');
      const refused = ws.nx('refs/tags/v1.9.1', ['publish', 'ghcr']);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toMatch(/v2\.0\.0 is higher than v1\.9\.1/);
      expect(refused.output).toContain('nx run-many -t publish ghcr --allowBackport');

      const mainBefore = mirrorRef('refs/heads/main');
      const images = Object.fromEntries(IMAGES.map((i) => [i, { latest: reg.inspect(i, 'latest')!.Digest, line: reg.inspect(i, '2.0')!.Digest }]));
      const run = ws.nx('refs/tags/v1.9.1', ['publish', 'ghcr'], ['--allowBackport']);
      expectOk(run);
      for (const name of NPM) {
        const doc = await reg.npmPackument(name);
        expect(doc.versions['1.9.1'].gitHead).toBe(shas.backport);
        expect(doc['dist-tags'].latest).toBe('2.0.0');
      }
      expect(await reg.pypiFiles(PY)).toEqual(expect.arrayContaining(['ameide_sdk_python-1.9.1-py3-none-any.whl']));
      for (const image of IMAGES) {
        expect(reg.inspect(image, '1.9.1')!.Labels['org.opencontainers.image.revision']).toBe(shas.backport);
        expect(reg.inspect(image, 'latest')!.Digest).toBe(images[image].latest);
        expect(reg.inspect(image, '2.0')!.Digest).toBe(images[image].line);
      }
      expect(reg.goTags()['v1.9.1']).toBe(shas.backport);
      expect(mirrorRef('refs/heads/main')).toBe(mainBefore);
      expect(mirrorRef('refs/tags/v1.9.1^{commit}')).toBe(mirrorRef('refs/heads/release/v1.9'));
    } finally {
      ws.git('checkout', '-q', 'main');
    }
  });
});

describe('secrets', () => {
  it('no secret appears in any output of any run', () => {
    expect(ws.outputs.length).toBeGreaterThan(8);
    const all = ws.outputs.join('\n');
    for (const secret of reg.secrets()) expect(all.includes(secret)).toBe(false);
  });
});
