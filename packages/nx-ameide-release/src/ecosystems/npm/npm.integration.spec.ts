import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import type { CheckInput, PackManifest, PublishInput } from '../../core/contract';
import type { VersionContext } from '../../version/types';
import { createNpmEcosystem } from './index';
import { packumentUrl } from './registry-client';
import { createFixtureWorkspace, fixtureContext, type FixtureWorkspace } from './testing/fixture-workspace';
import { freePort, startVerdaccio, type VerdaccioFixture } from './testing/verdaccio-fixture';
import { TEMP_TAG_PREFIX } from './dist-tags';
import { resolveDestinations } from '../../destinations';
import { planLines, publishFlow } from '../../core/publish-flow';
import { isAncestor } from '../../git';
import { lookupVia, publishVia } from '../../testing/flow';

jest.setTimeout(180000);

/**
 * npm adapter against a real Verdaccio on loopback and a real git repo with three commits
 * A <- B <- C. Tests run in order: each builds on the registry state the previous left.
 */
const npmEcosystem = createNpmEcosystem({ isAncestor });

describe('npm adapter against a real Verdaccio', () => {
  let reg: VerdaccioFixture;
  let ws: FixtureWorkspace;
  const sha: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
  const output: string[] = []; // every line and message the adapter produced, checked for the token at the end
  const log = (l: string) => output.push(l);
  const devVersion = (k: 'A' | 'B' | 'C') => `0.1.0-dev.2025111${{ A: 3, B: 4, C: 5 }[k]}100000+g${sha[k].slice(0, 7)}`;
  const clean = (v: string) => v.replace(/\+.*$/, '');

  function ctx(k: 'A' | 'B' | 'C', over: Partial<VersionContext> = {}): VersionContext {
    return fixtureContext({ GIT_SHA: sha[k], NPM_VERSION: devVersion(k), ...over });
  }
  async function pack(project: 'cfg' | 'sdk', context: VersionContext): Promise<PackManifest> {
    const outDir = join(ws.root, 'dist', project);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    return npmEcosystem.pack!({ workspaceRoot: ws.root, projectRoot: `packages/${project}`, project, context, outDir, log });
  }
  function input(manifest: PackManifest, context: VersionContext, env = reg.env()): PublishInput {
    const destinations = resolveDestinations({ ecosystem: 'npm', facts: { project: manifest.project, packageName: manifest.name }, env }).destinations;
    return { workspaceRoot: ws.root, manifest, context, destinations, env, log };
  }
  function checkInput(manifest: PackManifest, context: VersionContext, env = reg.env()): CheckInput {
    const destinations = resolveDestinations({ ecosystem: 'npm', facts: { project: manifest.project, packageName: manifest.name }, env }).destinations;
    return { workspaceRoot: ws.root, projectRoot: `packages/${manifest.project}`, project: manifest.project, manifest, context, destinations, env, log, timeoutMs: 5000 };
  }
  async function packument(name: string): Promise<any> {
    const res = await fetch(packumentUrl(reg.url, name), { headers: { authorization: `Bearer ${reg.token}` } });
    return res.json();
  }
  async function capture<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      output.push(String((e as Error).message));
      throw e;
    }
  }

  beforeAll(async () => {
    reg = await startVerdaccio();
    ws = createFixtureWorkspace();
    sha.A = ws.git('rev-parse', 'HEAD');
    ws.write('packages/cfg/lib/extra.js', 'exports.b = 1;\n');
    sha.B = ws.commit('B');
    ws.write('packages/cfg/lib/extra.js', 'exports.c = 1;\n');
    sha.C = ws.commit('C');
  });
  afterAll(async () => {
    await reg?.dispose();
    if (ws) rmSync(ws.root, { recursive: true, force: true });
  });

  it('checks: a missing token, an unreachable registry (host and time named), a refused token; none when all is set', async () => {
    const m = await pack('cfg', ctx('B'));
    expect(await npmEcosystem.checks(checkInput(m, ctx('B'), { AMEIDE_NPM_REGISTRY: reg.url }))).toEqual([
      expect.objectContaining({ check: 'credentials', fix: expect.stringMatching(/set NPM_TOKEN or NPM_TOKEN_FILE/) }),
    ]);
    const dead = `http://127.0.0.1:${await freePort()}/`;
    expect(await npmEcosystem.checks(checkInput(m, ctx('B'), { AMEIDE_NPM_REGISTRY: dead, NPM_TOKEN: reg.token }))).toEqual([
      expect.objectContaining({ check: 'destination', problem: expect.stringMatching(/cannot reach 127\.0\.0\.1:\d+ .*ECONNREFUSED, gave up after at most 5 s/) }),
    ]);
    const refused = await npmEcosystem.checks(checkInput(m, ctx('B'), { AMEIDE_NPM_REGISTRY: reg.url, NPM_TOKEN: 'not-a-token' }));
    expect(refused).toEqual([expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/refused the token in NPM_TOKEN \(GET -\/whoami/) })]);
    expect(JSON.stringify(refused)).not.toContain('not-a-token');
    expect(await npmEcosystem.checks(checkInput(m, ctx('B')))).toEqual([]);
  });

  it('dev publish: uploads and records the SHA; before any release, latest is on dev', async () => {
    const m = await pack('cfg', ctx('B'));
    await expect(lookupVia(npmEcosystem, input(m, ctx('B')))).resolves.toEqual({ state: 'absent' });
    const outcome = await capture(publishVia(npmEcosystem, input(m, ctx('B'))));
    expect(outcome.status).toBe('published');
    await expect(lookupVia(npmEcosystem, input(m, ctx('B')))).resolves.toEqual({ state: 'present', gitSha: sha.B });
    const doc = await packument('@fx/cfg');
    expect(doc['dist-tags']).toEqual({ dev: clean(devVersion('B')), latest: clean(devVersion('B')) });
  });

  it('re-run on the same SHA: already-published, nothing uploaded', async () => {
    const before = await packument('@fx/cfg');
    const m = await pack('cfg', ctx('B'));
    const outcome = await capture(publishVia(npmEcosystem, input(m, ctx('B'))));
    expect(outcome).toEqual({ status: 'already-published', detail: expect.stringContaining(`already published from ${sha.B}: @fx/cfg@${clean(devVersion('B'))}; nothing uploaded`) });
    expect(await packument('@fx/cfg')).toEqual(before);
  });

  it('published by a concurrent run after the lookup: npm refuses the upload, the flow reads again and keeps it', async () => {
    const before = await packument('@fx/cfg');
    const m = await pack('cfg', ctx('B'));
    // The lookup saw the registry before the other run's upload landed: absent.
    const stale = { ...npmEcosystem.steps!, lookup: jest.fn().mockResolvedValueOnce({ state: 'absent' }).mockImplementation(npmEcosystem.steps!.lookup) };
    const from = output.length;
    const r = await capture(publishFlow(stale, input(m, ctx('B')), { dryRun: false }));
    expect(r.artifacts.map((a) => a.outcome)).toEqual(['already-published']);
    expect(stale.lookup).toHaveBeenCalledTimes(2); // the stale read, then the registry again after its refusal
    expect(output.slice(from).join('\n')).toMatch(/appeared on .* from this commit during the run \(a concurrent run or a lost answer\): kept/);
    expect(await packument('@fx/cfg')).toEqual(before);
  });

  it('dry-run prints exactly the plan the real run executes, each artifact with its decision, and writes nothing', async () => {
    const before = await packument('@fx/cfg');
    const m = await pack('cfg', ctx('B'));
    const from = output.length;
    const r = await publishFlow(npmEcosystem.steps!, input(m, ctx('B')), { dryRun: true });
    expect(r.plan.map((p) => [p.artifact.id, p.artifact.tags, p.decision.action])).toEqual([[`@fx/cfg@${clean(devVersion('B'))}`, ['dev'], 'done']]);
    expect(output.slice(from)).toEqual(['dry-run: nothing is uploaded; the real run would do:', ...planLines(r.plan).map((l) => `  ${l}`)]);
    expect(output[from + 1]).toMatch(new RegExp(`^  npm  @fx/cfg@\\S+  -> ${reg.url.replace(/[.]/g, '\\.')}  tags dev  sha256 [0-9a-f]{12}…  \\[already published by this commit: nothing sent\\]$`));
    expect(await packument('@fx/cfg')).toEqual(before);
  });

  it('the same version from another SHA is refused naming both SHAs, nothing uploaded', async () => {
    const before = await packument('@fx/cfg');
    const other = ctx('C', { NPM_VERSION: devVersion('B') }); // a colliding version string packed from C
    const m = await pack('cfg', other);
    const err = await capture(publishVia(npmEcosystem, input(m, other))).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toContain(sha.B);
    expect(err.message).toContain(sha.C);
    expect(err.message).toMatch(/nothing was uploaded/);
    expect(await packument('@fx/cfg')).toEqual(before);
  });

  it('a late run of an older commit publishes its version but leaves dev on the newer one (git ancestry)', async () => {
    const m = await pack('cfg', ctx('A'));
    const outcome = await capture(publishVia(npmEcosystem, input(m, ctx('A'))));
    expect(outcome.status).toBe('published');
    const doc = await packument('@fx/cfg');
    expect(Object.keys(doc.versions)).toContain(clean(devVersion('A')));
    expect(doc['dist-tags'].dev).toBe(clean(devVersion('B')));
    expect(Object.keys(doc['dist-tags']).filter((t) => t.startsWith(TEMP_TAG_PREFIX))).toEqual([]);
    expect(output.join('\n')).toMatch(/dist-tag dev stays on/);
    expect(doc['dist-tags'].latest).toBe(clean(devVersion('B'))); // no release yet: latest follows dev, not the older commit
  });

  it('release publish takes latest; a later dev publish leaves latest on the release', async () => {
    const rel = ctx('B', { CHANNEL: 'release', NPM_VERSION: '0.1.0', NPM_DIST_TAG: 'latest' });
    const mr = await pack('cfg', rel);
    expect((await capture(publishVia(npmEcosystem, input(mr, rel)))).status).toBe('published');
    expect((await packument('@fx/cfg'))['dist-tags'].latest).toBe('0.1.0');

    const mc = await pack('cfg', ctx('C'));
    expect((await capture(publishVia(npmEcosystem, input(mc, ctx('C'))))).status).toBe('published');
    const doc = await packument('@fx/cfg');
    expect(doc['dist-tags']).toMatchObject({ latest: '0.1.0', dev: clean(devVersion('C')) });
  });

  it('a re-run completes dist-tags a failed run left wrong: latest goes back from a dev version to the release', async () => {
    // What a registry that moves latest on every publish (or a run killed before the fix) leaves behind:
    execFileSync('npm', ['dist-tag', 'add', `@fx/cfg@${clean(devVersion('C'))}`, 'latest', '--registry', reg.url], {
      env: { ...process.env, [`npm_config_//${new URL(reg.url).host}/:_authToken`]: reg.token },
      cwd: reg.dir,
      stdio: 'pipe',
    });
    expect((await packument('@fx/cfg'))['dist-tags'].latest).toBe(clean(devVersion('C')));
    const mc = await pack('cfg', ctx('C'));
    const outcome = await capture(publishVia(npmEcosystem, input(mc, ctx('C'))));
    expect(outcome.status).toBe('already-published');
    expect(output.join('\n')).toMatch(/set dist-tag latest->0\.1\.0/);
    expect((await packument('@fx/cfg'))['dist-tags']).toMatchObject({ latest: '0.1.0', dev: clean(devVersion('C')) });
  });

  it('a 4xx (rejected token) fails at once with the registry message, without the token', async () => {
    const ms = await pack('sdk', ctx('C'));
    const started = Date.now();
    const err = await capture(publishVia(npmEcosystem, input(ms, ctx('C'), { AMEIDE_NPM_REGISTRY: reg.url, NPM_TOKEN: 'rejected-token-0123456789' }))).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toMatch(/refused to publish @fx\/sdk@\S+ with the token in NPM_TOKEN \(HTTP 40[13]: [^)]*\); nothing was uploaded \(on the registry: none of this run; not uploaded: @fx\/sdk@\S+; [^\n]*\)\n  fix: check it with `npm whoami --registry /);
    expect(err.message).not.toContain('rejected-token-0123456789');
    expect(Date.now() - started).toBeLessThan(15000);
    expect((await packument('@fx/sdk')).versions?.[clean(devVersion('C'))]).toBeUndefined();
  });

  it('registry down, then back: transient failures are retried and the publish completes', async () => {
    const ms = await pack('sdk', ctx('C'));
    await reg.stop();
    let restarted: Promise<void> | undefined;
    const adapter = createNpmEcosystem({
      isAncestor,
      retry: {
        attempts: 6,
        initialDelayMs: 500,
        onRetry: (e) => {
          output.push(`retry: ${(e as Error).message}`);
          restarted ??= reg.start();
        },
      },
    });
    const outcome = await capture(publishVia(adapter, input(ms, ctx('C'))));
    await restarted;
    expect(outcome.status).toBe('published');
    expect(output.join('\n')).toMatch(/retry: .*ECONNREFUSED/);
    expect((await packument('@fx/sdk'))['dist-tags'].dev).toBe(clean(devVersion('C')));
  });

  it.each(['pnpm', 'npm'])(
    'smoke with %s: installs @fx/sdk (and its workspace dependency @fx/cfg) outside the workspace and checks buildInfo',
    async (pm) => {
      const ms = await pack('sdk', ctx('C'));
      const from = output.length;
      await capture(npmEcosystem.smoke!({ ...input(ms, ctx('C')), options: { smokePackageManager: pm } }));
      const lines = output.slice(from).join('\n');
      expect(lines).toContain(`smoke: ${pm} ${pm === 'pnpm' ? 'add' : 'install'} @fx/sdk@${clean(devVersion('C'))} from ${reg.url}`);
      expect(lines).toMatch(new RegExp(`buildInfo .*"gitSha":"${sha.C}"`));
      const wrong = ctx('C', { GIT_SHA: sha.B });
      await expect(npmEcosystem.smoke!({ ...input({ ...ms, gitSha: sha.B }, wrong), options: { smokePackageManager: pm } })).rejects.toThrow(/gitHead is .* expected/);
      expect(ws.git('status', '--porcelain')).toBe('');
    },
  );

  it('smoke without an option installs with the workspace package manager (an npm workspace: npm install)', async () => {
    const ms = await pack('cfg', ctx('C'));
    writeFileSync(join(ws.root, 'package-lock.json'), '{}\n'); // what marks an npm workspace for Nx
    const from = output.length;
    try {
      await capture(npmEcosystem.smoke!(input(ms, ctx('C'))));
    } finally {
      rmSync(join(ws.root, 'package-lock.json'));
    }
    expect(output.slice(from).join('\n')).toContain(`smoke: npm install @fx/cfg@${clean(devVersion('C'))}`);
  });

  it('the token never appears in any output or error', () => {
    expect(output.length).toBeGreaterThan(10);
    expect(output.join('\n')).not.toContain(reg.token);
  });
});
