/**
 * End to end, as a platform team runs it: the inferred Nx targets of the four real packages,
 * in a scratch clone, against real registries on loopback (Verdaccio, pypiserver,
 * docker-registry, a bare git repo as the Go mirror) started by tools/sandbox. The steps
 * build on each other, in order, like the commits and tags of a real repository.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { RegistryClient } from '../../src/ecosystems/oci/registry';
import { Registries } from './registries';
import { REPO_ROOT, sandbox, sandboxEnv, ScratchWorkspace } from './workspace';


const MAIN = 'refs/heads/main';
const NPM = ['@ameideio/configuration', '@ameideio/ameide-sdk-ts'];
const IMAGES = ['configuration', 'ameide-sdk-ts', 'ameide-sdk-python', 'ameide-sdk-go'];
/**
 * The plugin is a fifth release project (it releases itself). Its smoke installs it with its
 * dependencies (nx, semver, ...), which the sandbox's Verdaccio (no uplinks) does not hold; the
 * adoption e2e installs and uses it from that registry instead.
 */
const NOT_SMOKED_HERE = ['--exclude=nx-ameide-release'];

let env: Record<string, string>;
let ws: ScratchWorkspace;
let reg: Registries;
const shas: Record<string, string> = {};

/** npm versions by SHA, recorded while each commit is HEAD (the context is computed for HEAD). */
const npmVersion: Record<string, string> = {};

function recordHead(): string {
  const sha = ws.head();
  const ctx = JSON.parse(
    execFileSync(process.execPath, [join(REPO_ROOT, 'packages/nx-ameide-release/bin/nx-ameide-release.js'), 'context', '--cwd', ws.dir, '--format', 'json', '--ref', MAIN], {
      encoding: 'utf8',
      env: { ...process.env, GITHUB_REF: '' },
    }),
  );
  expect(ctx.GIT_SHA).toBe(sha);
  npmVersion[sha] = ctx.NPM_VERSION.replace(/\+.*$/, ''); // the registry drops +build metadata
  return sha;
}

/** How many distinct projects printed `[<target> <project>] ok:` */
function okProjects(output: string, target: string): string[] {
  return [...new Set([...output.matchAll(new RegExp(`\\[${target} (\\w+)\\] ok: `, 'g'))].map((m) => m[1]))].sort();
}

function expectOk(run: { code: number; output: string }) {
  if (run.code !== 0) throw new Error(`nx failed (exit ${run.code}):\n${run.output.slice(-6000)}`);
}

beforeAll(async () => {
  env = await sandboxEnv();
  reg = new Registries(env);
  ws = new ScratchWorkspace(env);
  shas.first = recordHead();
}, 10 * 60 * 1000);

afterAll(async () => {
  if (env) await sandbox.down(env);
  if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
});

describe('a dev release of all four packages', () => {
  it('publishes npm, PyPI and dev images of all four packages for HEAD on main; Go pushes nothing to its mirror on dev', async () => {
    expectOk(ws.nx(MAIN, ['pack', 'publish', 'ghcr']));
    const version = npmVersion[shas.first];
    for (const name of NPM) {
      const doc = await reg.npmPackument(name);
      expect(doc.versions[version].gitHead).toBe(shas.first);
      expect(doc['dist-tags'].dev).toBe(version);
    }
    const files = await reg.pypiFiles('ameide-sdk-python');
    expect(files.filter((f) => f.endsWith('.whl'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.tar.gz'))).toHaveLength(1);
    expect(reg.goTags()).toEqual({});
    expect(ws.readJson('dist/ameide_sdk_go/pack-manifest.json').version).toMatch(new RegExp(`^v\\d+\\.\\d+\\.\\d+-(0\\.)?\\d{14}-${shas.first.slice(0, 12)}$`));
    for (const image of IMAGES) {
      const bySha = reg.inspect(image, shas.first)!;
      expect(bySha.Labels['org.opencontainers.image.revision']).toBe(shas.first);
      expect(reg.inspect(image, 'dev')!.Digest).toBe(bySha.Digest);
    }
    expect(reg.inspect('ameide-sdk-go', 'dev')!.Labels['org.opencontainers.image.version']).toBe(ws.readJson('dist/ameide_sdk_go/pack-manifest.json').version);
  });

  it('packing the same SHA again is all cache hits, and the sources keep their 0.0.0 placeholders', () => {
    const run = ws.nx(MAIN, ['pack']);
    expectOk(run);
    expect(run.output).toMatch(/Nx read the output from the cache instead of running the command for (\d+) out of \1 tasks/);
    expect(ws.git('status', '--porcelain')).toBe('');
    for (const p of ['configuration', 'ameide_sdk_ts']) expect(ws.readJson(`packages/${p}/package.json`).version).toBe('0.0.0');
    expect(readFileSync(join(ws.dir, 'packages/ameide_sdk_python/pyproject.toml'), 'utf8')).toMatch(/^version = "0\.0\.0"$/m);
  });

  it('smoke-installs npm and PyPI packages from the registries, outside the workspace', () => {
    const run = ws.nx(MAIN, ['smoke'], NOT_SMOKED_HERE);
    expectOk(run);
    expect(okProjects(run.output, 'smoke')).toEqual(['ameide_sdk_python', 'ameide_sdk_ts', 'configuration']);
    expect(run.output).toMatch(/\[smoke ameide_sdk_go\] skipped: /);
  });

  it('re-running the same SHA is a success that uploads nothing', async () => {
    const before = await reg.npmVersions(NPM[0]);
    const run = ws.nx(MAIN, ['pack', 'publish', 'ghcr']);
    expectOk(run);
    expect(run.output.match(/already-published/g)?.length).toBeGreaterThanOrEqual(3);
    expect(run.output).not.toMatch(/\] published: /);
    expect(await reg.npmVersions(NPM[0])).toEqual(before);
    for (const p of ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go']) {
      const result = ws.readJson(`dist/${p}/ghcr-result.json`);
      expect(result.blobsUploaded).toBe(0);
      // dev makes no package bundles (they are GitHub Release assets); the image's attestations are there already
      expect([p, result.attestations.map((a: any) => [a.type, a.status, Boolean(a.subject)])]).toEqual([p, [['slsaprovenance1', 'already-attested', false], ['cyclonedx', 'already-attested', false]]]);
    }
    // the SBOMs of this pack state were made by the first run: cdxgen does not run again (the plugin's own image too)
    const sboms = run.output.match(/ghcr: SBOM of .*/g) ?? [];
    expect(sboms.length).toBeGreaterThanOrEqual(4);
    expect(sboms.filter((l) => !l.includes('(made for this pack state before: reused)'))).toEqual([]);
  });
});

describe('guards that publish nothing', () => {
  it('dry-run prints what would go where and touches no registry', async () => {
    ws.commit('second commit, same day');
    shas.second = recordHead();
    const run = ws.nx(MAIN, ['pack', 'publish', 'ghcr'], ['--dry-run']);
    expectOk(run);
    const version = npmVersion[shas.second];
    expect(run.output).toContain(`${NPM[0]}@`);
    expect(run.output).toMatch(/dry-run/);
    expect(await reg.npmVersions(NPM[0])).not.toContain(version);
    expect(reg.inspect('configuration', shas.second)).toBeNull();
  });

  it('nx affected sees only what the commit changed: configuration, and the TS SDK that depends on it', () => {
    const affected = ws.nxCommand(['show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD']);
    expect(affected.split('\n').filter(Boolean).sort()).toEqual(['ameide_sdk_ts', 'configuration']);
  });

  it('the build channel (any other branch) publishes nothing', async () => {
    const run = ws.nx('refs/heads/feature/x', ['pack', 'publish', 'ghcr']);
    expectOk(run);
    expect(run.output).toMatch(/channel 'build'.*nothing is published/);
    expect(await reg.npmVersions(NPM[0])).not.toContain(npmVersion[shas.second]);
  });

  it('a missing credential for one ecosystem stops the whole run before any upload', async () => {
    const run = ws.nx(MAIN, ['pack', 'publish'], [], { PYPI_PASSWORD_FILE: '' });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/nothing is uploaded by any project of this run/);
    expect(run.output).toMatch(/PYPI_PASSWORD/);
    expect(await reg.npmVersions(NPM[0])).not.toContain(npmVersion[shas.second]);
  });
});

describe('dev versions over time', () => {
  it('a second commit on the same day publishes a new dev version without conflict', async () => {
    expectOk(ws.nx(MAIN, ['pack', 'publish', 'ghcr']));
    const [v1, v2] = [npmVersion[shas.first], npmVersion[shas.second]];
    expect(v1).not.toBe(v2);
    const doc = await reg.npmPackument(NPM[0]);
    expect(Object.keys(doc.versions)).toEqual(expect.arrayContaining([v1, v2]));
    expect(doc['dist-tags'].dev).toBe(v2);
    expect((await reg.pypiFiles('ameide-sdk-python')).filter((f) => f.endsWith('.whl'))).toHaveLength(2);
    expect(reg.inspect('configuration', 'dev')!.Labels['org.opencontainers.image.revision']).toBe(shas.second);
  });

  it('a late run of an older commit leaves the dev tags where they are', async () => {
    ws.git('checkout', '-q', shas.first);
    try {
      expectOk(ws.nx(MAIN, ['pack', 'publish', 'ghcr']));
    } finally {
      ws.git('checkout', '-q', 'main');
    }
    expect((await reg.npmPackument(NPM[0]))['dist-tags'].dev).toBe(npmVersion[shas.second]);
    expect(reg.inspect('configuration', 'dev')!.Labels['org.opencontainers.image.revision']).toBe(shas.second);
  });

  it('a registry down before the run stops every upload (preflight); once it is back, the re-run publishes all', async () => {
    ws.commit('third commit');
    shas.third = recordHead();
    await sandbox.stopService(env, 'pypi');
    let run;
    try {
      run = ws.nx(MAIN, ['pack', 'publish']);
    } finally {
      await sandbox.startService(env, 'pypi');
    }
    expect(run.code).not.toBe(0);
    const version = npmVersion[shas.third];
    expect(run.output).toMatch(/\| ameide_sdk_python \| pypi \| destination \| PyPI index: cannot reach 127\.0\.0\.1:\d+/);
    expect(await reg.npmVersions(NPM[0])).not.toContain(version); // preflight stopped the other registries too
    expect((await reg.pypiFiles('ameide-sdk-python')).filter((f) => f.endsWith('.whl'))).toHaveLength(2);
    const rerun = ws.nx(MAIN, ['pack', 'publish']);
    expectOk(rerun);
    expect(rerun.output).toMatch(/\[publish configuration\] published/);
    expect(rerun.output).toMatch(/\[publish ameide_sdk_python\] published/);
    expect((await reg.pypiFiles('ameide-sdk-python')).filter((f) => f.endsWith('.whl'))).toHaveLength(3);
  });

  it('a version already published from another SHA is refused, naming both SHAs, and nothing is uploaded', async () => {
    // A team template without time or SHA in it makes two commits claim one version.
    const original = readFileSync(join(ws.dir, 'nx.json'), 'utf8');
    const nxJson = JSON.parse(original);
    nxJson.plugins = nxJson.plugins.map((p: any) =>
      p.plugin === '@ameideio/nx-ameide-release' ? { ...p, options: { ...p.options, npmDevVersion: '{base}-dev.fixed', pypiDevVersion: '{base}.dev1' } } : p,
    );
    writeFileSync(join(ws.dir, 'nx.json'), JSON.stringify(nxJson, null, 2));
    shas.fixedA = ws.commit('fixed dev version template');
    expectOk(ws.nx(MAIN, ['pack', 'publish'], ['--projects=configuration,ameide_sdk_python']));
    shas.fixedB = ws.commit('another commit under the same template');
    const run = ws.nx(MAIN, ['pack', 'publish'], ['--projects=configuration,ameide_sdk_python']);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(shas.fixedA);
    expect(run.output).toContain(shas.fixedB);
    expect((await reg.npmPackument(NPM[0])).versions['0.1.0-dev.fixed'].gitHead).toBe(shas.fixedA);
    writeFileSync(join(ws.dir, 'nx.json'), original);
    ws.commit('back to the default templates');
  });
});

describe('a release', () => {
  it('publishes every ecosystem, with the Go tag on the mirror and latest on npm and GHCR', async () => {
    shas.release = ws.head();
    ws.tag('v0.1.0');
    const run = ws.nx('refs/tags/v0.1.0', ['pack', 'publish', 'ghcr']);
    expectOk(run);
    for (const name of NPM) {
      const doc = await reg.npmPackument(name);
      expect(doc['dist-tags'].latest).toBe('0.1.0');
      expect(doc.versions['0.1.0'].gitHead).toBe(shas.release);
    }
    expect(await reg.pypiFiles('ameide-sdk-python')).toEqual(expect.arrayContaining(['ameide_sdk_python-0.1.0-py3-none-any.whl', 'ameide_sdk_python-0.1.0.tar.gz']));
    expect(reg.goTags()).toEqual({ 'v0.1.0': shas.release });
    for (const image of IMAGES) {
      const release = reg.inspect(image, '0.1.0')!;
      expect(release.Labels['org.opencontainers.image.version']).toBeTruthy();
      for (const tag of ['0.1', 'latest', shas.release]) expect(reg.inspect(image, tag)!.Digest).toBe(release.Digest);
    }
  });

  it('a second clone of the release SHA, packed later without cache, gives byte-identical artifacts', () => {
    const other = new ScratchWorkspace(env, ws.dir, shas.release);
    try {
      expect(other.git('tag', '--points-at', 'HEAD')).toBe('v0.1.0'); // the clone brings the tag
      expectOk(other.nx('refs/tags/v0.1.0', ['pack'], ['--skip-nx-cache']));
      for (const p of ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go']) {
        const hashes = (w: ScratchWorkspace) => w.readJson(`dist/${p}/pack-manifest.json`).files.map((f: any) => `${f.file} ${f.sha256}`);
        expect(hashes(other).length).toBeGreaterThan(0);
        expect(hashes(other)).toEqual(hashes(ws));
      }
    } finally {
      rmSync(dirname(other.dir), { recursive: true, force: true });
    }
  });

  it('smoke-installs all three ecosystems at the release versions', () => {
    const run = ws.nx('refs/tags/v0.1.0', ['smoke'], NOT_SMOKED_HERE);
    expectOk(run);
    expect(okProjects(run.output, 'smoke')).toEqual(['ameide_sdk_go', 'ameide_sdk_python', 'ameide_sdk_ts', 'configuration']);
  });

  it('re-running the release is a success that changes nothing', async () => {
    const tagsBefore = reg.goTags();
    const run = ws.nx('refs/tags/v0.1.0', ['pack', 'publish', 'ghcr']);
    expectOk(run);
    expect(run.output.match(/already-published/g)?.length).toBeGreaterThanOrEqual(4);
    expect(reg.goTags()).toEqual(tagsBefore);
    expect(ws.readJson('dist/ameide_sdk_go/ghcr-result.json').blobsUploaded).toBe(0);
    // every package bundle of the first release run is kept (same statement, this key): nothing is signed again
    for (const p of ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go']) {
      const statuses = ws.readJson(`dist/${p}/ghcr-result.json`).attestations.map((a: any) => a.status);
      expect([p, statuses.length > 2, [...new Set(statuses)]]).toEqual([p, true, ['already-attested']]);
    }
  });
});

describe('evidence of the release', () => {
  const BIN = join(REPO_ROOT, 'packages/nx-ameide-release/bin/nx-ameide-release.js');
  const ref = (image: string, tag: string) => `${env.AMEIDE_OCI_REGISTRY}/${env.AMEIDE_OCI_NAMESPACE}/${image}:${tag}`;
  const verify = (imageRef: string, sha: string) =>
    spawnSync(process.execPath, [BIN, 'verify', imageRef, '--key', env.COSIGN_PUBLIC_KEY, '--sha', sha], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('trace of the release SHA, asked of the registries, lists exactly the artifacts of its manifest.json', () => {
    const trace = (what: string) => spawnSync(process.execPath, [BIN, 'trace', what, '--format', 'json', '--cwd', ws.dir], { encoding: 'utf8', env: { ...process.env, ...env } });
    const key = (a: any) => (a.ecosystem === 'pypi' ? `pypi ${a.file}` : a.ecosystem === 'oci' ? `oci ${a.name}@${a.digest ?? a.imageDigest}` : `${a.ecosystem} ${a.name}@${a.version}`);
    const manifest = ws.readJson('dist/release/manifest.json');
    expect([manifest.schemaVersion, manifest.gitSha, manifest.channel]).toEqual([1, shas.release, 'release']);
    const r = trace(shas.release.slice(0, 8));
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect([...new Set(JSON.parse(r.stdout).artifacts.map(key))].sort()).toEqual([...new Set(manifest.artifacts.map(key))].sort());
    expect(JSON.parse(trace(`npm:${NPM[0]}@0.1.0`).stdout).sha).toBe(shas.release);
    expect(trace('0000000').status).toBe(1);
  });

  it('every image has a signature, a SLSA provenance and a CycloneDX attestation that verify accepts for the release SHA', () => {
    for (const image of IMAGES) {
      const r = verify(ref(image, '0.1.0'), shas.release);
      const digest = reg.inspect(image, '0.1.0')!.Digest;
      expect([image, r.status, r.stdout]).toEqual([image, 0, expect.stringContaining(`ok   provenance: SLSA v1 provenance: subject ${digest}, source commit ${shas.release}`)]);
      expect(r.stdout).toContain(`ok   signature: ${digest}`);
      expect(r.stdout).toContain(`ok   sbom: CycloneDX SBOM of `);
    }
    for (const p of ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go']) {
      const attestations = ws.readJson(`dist/${p}/ghcr-result.json`).attestations;
      const kinds = attestations.filter((a: any) => !a.subject).map((a: any) => a.type);
      expect([p, kinds]).toEqual([p, ['slsaprovenance1', 'cyclonedx']]);
      // every package file has its own provenance and SBOM bundle, which verify accepts for the release SHA
      const files = ws.readJson(`dist/${p}/pack-manifest.json`).files.filter((f: any) => f.kind !== 'go-list').map((f: any) => f.file);
      expect([p, attestations.filter((a: any) => a.subject).map((a: any) => [a.subject, a.type])]).toEqual([p, files.flatMap((f: string) => [[f, 'slsaprovenance1'], [f, 'cyclonedx']])]);
      for (const a of attestations.filter((x: any) => x.subject && x.type === 'slsaprovenance1')) {
        const sbom = attestations.find((x: any) => x.subject === a.subject && x.type === 'cyclonedx');
        const r = spawnSync(process.execPath, [BIN, 'verify', '--artifact', join(ws.dir, a.subject), '--bundle', join(ws.dir, a.file), '--sbom-bundle', join(ws.dir, sbom.file), '--key', env.COSIGN_PUBLIC_KEY, '--sha', shas.release], { encoding: 'utf8', env: { ...process.env, ...env } });
        expect([a.subject, r.status, r.stdout]).toEqual([a.subject, 0, expect.stringContaining(`ok   provenance: SLSA v1 provenance: subject `)]);
      }
    }
  });

  it('tampering fails: another (signed) image under a tag is refused for the release SHA', async () => {
    const client = new RegistryClient({ registry: env.AMEIDE_OCI_REGISTRY, insecure: true });
    const repo = `${env.AMEIDE_OCI_NAMESPACE}/ameide-sdk-ts`;
    const dev = (await client.getManifest(repo, 'dev'))!;
    await client.putManifest(repo, 'tampered', dev.bytes, JSON.parse(dev.bytes.toString()).mediaType ?? 'application/vnd.oci.image.manifest.v1+json');
    const r = verify(ref('ameide-sdk-ts', 'tampered'), shas.release);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`FAIL provenance: source commit is [0-9a-f]{40}, expected ${shas.release}`));
  });

  it('the release notes of v0.1.0 list the commits since the start, per package', () => {
    const r = spawnSync(process.execPath, [BIN, 'notes', '--cwd', ws.dir, '--ref', 'v0.1.0', '--output', '-'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('# v0.1.0\n')).toBe(true);
    for (const name of ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go']) expect(r.stdout).toContain(`### ${name} (`);
  });
});

describe('secrets', () => {
 it('no secret appears in any output of any run', () => {
  expect(ws.outputs.length).toBeGreaterThan(10);
  const all = ws.outputs.join('\n');
  for (const secret of reg.secrets()) expect(all.includes(secret)).toBe(false);
});
});
