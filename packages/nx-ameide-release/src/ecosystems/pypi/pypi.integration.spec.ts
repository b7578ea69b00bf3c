import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { redact, runOrThrow } from '../../exec';
import { ReleaseError } from '../../errors';
import type { CheckInput, PackManifest, PublishInput } from '../../core/contract';
import type { VersionContext } from '../../version/types';
import { inspectDist, resolvePythonTools, uvPublish } from './commands';
import { pypiEcosystem } from './index';
import { startPypiServer, type PypiServer } from './testing/pypiserver-fixture';
import { devContext, makeFixtureWorkspace } from './testing/fixture-project';
import { resolveDestinations } from '../../destinations';
import { planLines, publishFlow } from '../../core/publish-flow';
import { lookupVia, publishVia } from '../../testing/flow';

/**
 * The adapter against a real pypiserver (upload auth, anonymous reads) and real uv builds.
 * Tools come from <repo>/.venv (AMEIDE_UV / AMEIDE_PYTHON override).
 */
jest.setTimeout(240_000);

const REPO_ROOT = join(__dirname, '../../../../..');
const VENV = join(REPO_ROOT, '.venv');
const SHA_A = '71e210beab37b68546d56dceccba18f09264ecc3';
const SHA_B = 'b2c3d4e5f60718293a4b5c6d7e8f901234567890';

let pypi: PypiServer;
let ws: { workspaceRoot: string; projectRoot: string };
const lines: string[] = [];
const log = (l: string) => lines.push(redact(l));
const tools = () => resolvePythonTools(REPO_ROOT);

beforeAll(async () => {
  // Resolve tools from the repo venv, since the fixture workspace has none.
  process.env.AMEIDE_UV ||= join(VENV, 'bin', 'uv');
  process.env.AMEIDE_PYTHON ||= join(VENV, 'bin', 'python');
  process.env.AMEIDE_TWINE ||= join(VENV, 'bin', 'twine');
  pypi = await startPypiServer({ venv: VENV });
  ws = makeFixtureWorkspace();
});

afterAll(async () => {
  await pypi?.close();
  if (ws) rmSync(ws.workspaceRoot, { recursive: true, force: true });
});

async function pack(context: VersionContext, out = 'dist/ameide-sdk-python'): Promise<PackManifest> {
  const outDir = join(ws.workspaceRoot, out);
  rmSync(outDir, { recursive: true, force: true });
  return pypiEcosystem.pack!({ workspaceRoot: ws.workspaceRoot, projectRoot: ws.projectRoot, project: 'ameide-sdk-python', context, outDir, log });
}

function publishInput(manifest: PackManifest, context: VersionContext, env: Record<string, string> = pypi.env): PublishInput {
  const destinations = resolveDestinations({ ecosystem: 'pypi', facts: { project: manifest.project }, env }).destinations;
  return { workspaceRoot: ws.workspaceRoot, manifest, context, destinations, env, log };
}

function checkInput(manifest: PackManifest, context: VersionContext, env: Record<string, string> = pypi.env): CheckInput {
  return { ...publishInput(manifest, context, env), projectRoot: ws.projectRoot, project: manifest.project, timeoutMs: 5000 };
}

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const served = () => readdirSync(pypi.packagesDir).sort();
const servedState = () => served().map((f) => `${f}@${statSync(join(pypi.packagesDir, f)).mtimeMs}`);

describe('pack', () => {
  it('builds wheel + sdist byte-identically twice, stamped, from a temp copy, leaving the sources alone', async () => {
    const ctx = devContext();
    const first = await pack(ctx, 'dist/first');
    // A later, different checkout of the same commit: other mtimes, other modes, a second later.
    const src = join(ws.workspaceRoot, ws.projectRoot);
    const future = new Date(Date.now() + 86_400_000);
    for (const f of ['pyproject.toml', 'README.md', 'src/ameide_sdk/__init__.py', 'src/ameide_sdk/_build_info.py']) utimesSync(join(src, f), future, future);
    chmodSync(join(src, 'README.md'), 0o666);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await pack(ctx);

    expect(first.files.map((f) => f.kind)).toEqual(['wheel', 'sdist']);
    expect(second.files.map((f) => f.sha256)).toEqual(first.files.map((f) => f.sha256));
    expect(second).toMatchObject({
      project: 'ameide-sdk-python',
      name: 'ameide-sdk-python',
      ecosystem: 'pypi',
      version: '0.1.0.dev20251113153211',
      gitSha: SHA_A,
      channel: 'dev',
    });
    expect(second.files.map((f) => f.file)).toEqual([
      'dist/ameide-sdk-python/ameide_sdk_python-0.1.0.dev20251113153211-py3-none-any.whl',
      'dist/ameide-sdk-python/ameide_sdk_python-0.1.0.dev20251113153211.tar.gz',
    ]);
    for (const f of second.files) {
      const res = await runOrThrow(inspectDist(tools(), join(ws.workspaceRoot, f.file)));
      expect(JSON.parse(res.stdout)).toEqual({ gitSha: SHA_A, buildInfo: [f.kind === 'wheel' ? 'ameide_sdk/_build_info.py' : 'ameide_sdk_python-0.1.0.dev20251113153211/src/ameide_sdk/_build_info.py'] });
    }
    const sdistList = (await runOrThrow({ command: 'tar', args: ['tzf', join(ws.workspaceRoot, second.files[1].file)] })).stdout;
    expect(sdistList).not.toMatch(/__pycache__|\.venv/);
    expect(readFileSync(join(src, 'pyproject.toml'), 'utf8')).toContain('version = "0.0.0"');
    expect(readFileSync(join(src, 'src/ameide_sdk/_build_info.py'), 'utf8')).toBe('VERSION = "0.0.0"\nGIT_SHA = "unknown"\n');
  });

  it('refuses a non-placeholder version before writing anything', async () => {
    const bad = makeFixtureWorkspace({ buildInfo: 'VERSION = "1.0.0"\nGIT_SHA = "unknown"\n' });
    try {
      const outDir = join(bad.workspaceRoot, 'dist/x');
      const p = pypiEcosystem.pack!({ workspaceRoot: bad.workspaceRoot, projectRoot: bad.projectRoot, project: 'x', context: devContext(), outDir, log });
      await expect(p).rejects.toThrow(ReleaseError);
      await expect(p).rejects.toThrow(/packages\/ameide_sdk_python\/src\/ameide_sdk\/_build_info.py: VERSION is "1.0.0"/);
      expect(existsSync(outDir)).toBe(false);
    } finally {
      rmSync(bad.workspaceRoot, { recursive: true, force: true });
    }
  });
});

describe('publish, lookup, smoke against pypiserver', () => {
  let manifest: PackManifest;
  const ctx = devContext();

  beforeAll(async () => {
    manifest = await pack(ctx);
  });

  it('checks: none with good credentials; a missing or wrong password and an unreachable index each named', async () => {
    expect(await pypiEcosystem.checks(checkInput(manifest, ctx))).toEqual([]);
    const { PYPI_PASSWORD: _p, ...noPassword } = pypi.env;
    expect(await pypiEcosystem.checks(checkInput(manifest, ctx, noPassword))).toEqual([
      expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/no credentials/), fix: expect.stringMatching(/^set PYPI_TOKEN/) }),
    ]);
    const wrong = await pypiEcosystem.checks(checkInput(manifest, ctx, { ...pypi.env, PYPI_PASSWORD: 'wrong-password' }));
    expect(wrong).toEqual([expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/refused the credentials in PYPI_USERNAME \+ PYPI_PASSWORD \(HTTP 403\)/) })]);
    expect(JSON.stringify(wrong)).not.toContain('wrong-password');
    const port = await closedPort();
    const dead = { ...pypi.env, AMEIDE_PYPI_INDEX_URL: `http://127.0.0.1:${port}/simple/` };
    expect(await pypiEcosystem.checks(checkInput(manifest, ctx, dead))).toEqual([
      expect.objectContaining({ check: 'destination', problem: expect.stringMatching(new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} .*ECONNREFUSED, gave up after at most 5 s`)) }),
    ]);
    expect(served()).toEqual([]); // nothing written by any check
  });

  it('publishes wheel and sdist, then a re-run is already-published with nothing uploaded', async () => {
    expect(await lookupVia(pypiEcosystem, publishInput(manifest, ctx))).toEqual({ state: 'absent' });
    const outcome = await publishVia(pypiEcosystem, publishInput(manifest, ctx));
    expect(outcome.status).toBe('published');
    expect(served()).toEqual(manifest.files.map((f) => f.file.split('/').pop()).sort());
    expect(await lookupVia(pypiEcosystem, publishInput(manifest, ctx))).toEqual({ state: 'present', gitSha: SHA_A });

    const before = servedState();
    const again = await publishVia(pypiEcosystem, publishInput(manifest, ctx));
    expect(again.status).toBe('already-published');
    expect(servedState()).toEqual(before);
  });

  it('smoke installs it into a fresh venv outside the workspace and sees the version and SHA', async () => {
    lines.length = 0;
    await pypiEcosystem.smoke!(publishInput(manifest, ctx));
    expect(lines.join('\n')).toContain(`ok: import ameide_sdk reports 0.1.0.dev20251113153211 from ${SHA_A}`);
  });

  it('refuses the same version from another SHA, naming both, uploading nothing', async () => {
    const other = await pack(devContext({ GIT_SHA: SHA_B }), 'dist/other');
    const before = servedState();
    expect(await lookupVia(pypiEcosystem, publishInput(other, devContext({ GIT_SHA: SHA_B })))).toEqual({ state: 'present', gitSha: SHA_A });
    const p = publishVia(pypiEcosystem, publishInput(other, devContext({ GIT_SHA: SHA_B })));
    await expect(p).rejects.toThrow(ReleaseError);
    await expect(p).rejects.toThrow(new RegExp(`from ${SHA_A}, but this run packed it from ${SHA_B}`));
    // The preflight's version row: the same lookup and decision, one row per file, both SHAs named.
    const rows = await pypiEcosystem.checks(checkInput(other, devContext({ GIT_SHA: SHA_B })));
    expect(rows.map((r) => r.check)).toEqual(['version', 'version']);
    for (const r of rows) expect(r.problem).toMatch(new RegExp(`published from ${SHA_A}, but this run packed it from ${SHA_B}`));
    expect(servedState()).toEqual(before);
  });

  it('completes a half-published version (wheel there, sdist missing) without re-sending the wheel', async () => {
    const ctx2 = devContext({ GIT_SHA: SHA_B, DATETIME: '20251114090000', PYPI_VERSION: '0.1.0.dev20251114090000', COMMIT_TIME: '2025-11-14T09:00:00Z' });
    const m2 = await pack(ctx2, 'dist/half');
    const wheel = m2.files.find((f) => f.kind === 'wheel')!;
    // The run that died halfway: only the wheel reached the index.
    await runOrThrow(uvPublish(tools(), pypi.uploadUrl, join(ws.workspaceRoot, wheel.file), { username: pypi.username, password: pypi.password }));
    const wheelMtime = statSync(join(pypi.packagesDir, wheel.file.split('/').pop()!)).mtimeMs;
    expect(await lookupVia(pypiEcosystem, publishInput(m2, ctx2))).toEqual({ state: 'present', gitSha: SHA_B });

    // The dry-run prints exactly the plan the real run then executes: the wheel kept, the sdist sent.
    const from = lines.length;
    const dry = await publishFlow(pypiEcosystem.steps!, publishInput(m2, ctx2), { dryRun: true });
    expect(dry.plan.map((p) => [p.artifact.kind, p.decision.action])).toEqual([['wheel', 'done'], ['sdist', 'publish']]);
    expect(lines.slice(from)).toEqual(['dry-run: nothing is uploaded; the real run would do:', ...planLines(dry.plan).map((l) => `  ${l}`)]);
    expect(statSync(join(pypi.packagesDir, wheel.file.split('/').pop()!)).mtimeMs).toBe(wheelMtime);
    expect(served().filter((f) => f.includes('dev20251114090000'))).toHaveLength(1);

    const outcome = await publishVia(pypiEcosystem, publishInput(m2, ctx2));
    expect(outcome).toEqual({
      status: 'published',
      detail: expect.stringMatching(/published ameide-sdk-python==0\.1\.0\.dev20251114090000 \(ameide_sdk_python-0\.1\.0\.dev20251114090000\.tar\.gz\); already there: ameide-sdk-python==0\.1\.0\.dev20251114090000 \(ameide_sdk_python-0\.1\.0\.dev20251114090000-py3-none-any\.whl\)/),
    });
    expect(statSync(join(pypi.packagesDir, wheel.file.split('/').pop()!)).mtimeMs).toBe(wheelMtime);
    expect((await publishVia(pypiEcosystem, publishInput(m2, ctx2))).status).toBe('already-published');
  });

  it('fails at once on a rejected password with the server status, and never shows the password', async () => {
    const ctx3 = devContext({ PYPI_VERSION: '0.1.0.dev20251115000000' });
    const m3 = await pack(ctx3, 'dist/badpw');
    const wrong = 'definitely-wrong-password-123';
    const started = Date.now();
    const p = publishVia(pypiEcosystem, publishInput(m3, ctx3, { ...pypi.env, PYPI_PASSWORD: wrong }));
    await expect(p).rejects.toThrow(/refused ameide_sdk_python-0\.1\.0\.dev20251115000000-py3-none-any\.whl: HTTP 403 \(the credentials in PYPI_USERNAME \+ PYPI_PASSWORD were refused\) \(on the registry: none of this run; not uploaded: [^\n]*\)\n  fix: the credentials in PYPI_USERNAME \+ PYPI_PASSWORD were refused/);
    expect(Date.now() - started).toBeLessThan(30_000); // no backoff for a 4xx
    const msg = await p.catch((e: Error) => e.message);
    expect(msg).not.toContain(wrong);
    expect(served().some((f) => f.includes('dev20251115'))).toBe(false);
  });

  it('a registry that is down fails clearly, and the re-run after it is back completes', async () => {
    const ctx4 = devContext({ PYPI_VERSION: '0.1.0.dev20251116000000' });
    const m4 = await pack(ctx4, 'dist/down');
    await pypi.stop();
    try {
      await expect(publishVia(pypiEcosystem, publishInput(m4, ctx4))).rejects.toThrow(/cannot read the index http:\/\/127\.0\.0\.1:\d+\/simple\/ameide-sdk-python\/.*ECONNREFUSED/);
    } finally {
      await pypi.start();
    }
    expect(served().some((f) => f.includes('dev20251116'))).toBe(false);
    expect((await publishVia(pypiEcosystem, publishInput(m4, ctx4))).status).toBe('published');
    expect(served().filter((f) => f.includes('dev20251116'))).toHaveLength(2);
  });

  it('never printed a password', () => {
    const all = lines.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(pypi.password);
    expect(all).not.toContain('definitely-wrong-password-123');
  });
});
