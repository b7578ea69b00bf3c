import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { run, runOrThrow } from '../exec';
import { RegistryClient } from '../ecosystems/oci/registry';
import { ociRelease, type OciReleaseResult } from '../ecosystems/oci';
import { bundlePredicateTypes, COSIGN_SIGN_PREDICATE } from '../ecosystems/oci/sign';
import { startRegistry, type RegistryFixture } from '../ecosystems/oci/testing/registry-fixture';
import type { PackManifest } from '../core/contract';
import type { VersionContext } from '../version/types';
import { checkArtifact, checkProvenance, LOCAL_BUILDER, OCI_BUILD_TYPE, PACKAGE_BUILD_TYPE, packageProvenanceStatement, provenanceStatement, runDetails, SLSA_PROVENANCE_V1 } from './provenance';
import { bundleStatement, checkSbom, withoutKey, repositoryOf, statementsOf, verifiedDigest } from './verify';

/**
 * Provenance and `nx-ameide-release verify` against a real docker-registry on loopback with
 * real cosign (key pair made here, tlog off as in the sandbox).
 */
jest.setTimeout(240_000);

const COSIGN = process.env.COSIGN_BIN ?? join(homedir(), 'go/bin/cosign');
const BIN = resolve(__dirname, '..', '..', 'bin', 'nx-ameide-release.js');
const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const DIGEST = `sha256:${'d'.repeat(64)}`;

function context(sha: string): VersionContext {
  return {
    BASE_VERSION: '0.3.0', GIT_SHA: sha, SHORT_SHA: sha.slice(0, 7), DATE: '20251113', DATETIME: '20251113153211', CHANNEL: 'release',
    IS_RELEASE: true, NPM_VERSION: '0.3.0', NPM_DIST_TAG: 'latest', PYPI_VERSION: '0.3.0', GO_VERSION: 'v0.3.0', GO_PSEUDO_VERSION: '',
    GHCR_TAGS: [sha], COMMIT_TIME: '2025-11-13T15:32:11Z', REF: 'refs/tags/v0.3.0', RELEASE_TAG: 'v0.3.0', IS_HIGHEST_RELEASE: true,
  };
}

describe('provenanceStatement (pure)', () => {
  const input = {
    image: 'ghcr.io/ameideio/sdk', digest: DIGEST, project: 'sdk', context: context(SHA_A), source: 'https://github.com/ameideio/ameide',
    artifacts: [{ file: 'dist/sdk/sdk-0.3.0.tgz', sha256: 'e'.repeat(64) }], env: {},
  };

  it('names the image digest as subject, the repository + SHA + ref as source, the context as parameters', () => {
    const s = provenanceStatement(input);
    expect(s.subject).toEqual([{ name: 'ghcr.io/ameideio/sdk', digest: { sha256: 'd'.repeat(64) } }]);
    expect(s.predicateType).toBe(SLSA_PROVENANCE_V1);
    expect(s.predicate.buildDefinition.buildType).toBe(OCI_BUILD_TYPE);
    expect(s.predicate.buildDefinition.externalParameters.source).toEqual({ uri: 'https://github.com/ameideio/ameide', ref: 'refs/tags/v0.3.0', digest: { gitCommit: SHA_A } });
    expect(s.predicate.buildDefinition.externalParameters.version).toEqual(context(SHA_A));
    expect(s.predicate.buildDefinition.resolvedDependencies).toEqual([
      { uri: 'git+https://github.com/ameideio/ameide@refs/tags/v0.3.0', digest: { gitCommit: SHA_A } },
      { name: 'sdk-0.3.0.tgz', digest: { sha256: 'e'.repeat(64) } },
    ]);
    expect(s.predicate.runDetails).toEqual({ builder: { id: LOCAL_BUILDER } });
  });

  it('is the same bytes for the same input (no clock)', () => {
    expect(JSON.stringify(provenanceStatement(input))).toBe(JSON.stringify(provenanceStatement({ ...input })));
  });

  it.each([
    ['outside GitHub Actions: the local builder', {}, { builder: { id: LOCAL_BUILDER } }],
    [
      'in GitHub Actions: the workflow at its ref, and the run attempt',
      { GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://github.com', GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/cd-packages.yml@refs/tags/v0.3.0', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2' },
      { builder: { id: 'https://github.com/o/r/.github/workflows/cd-packages.yml@refs/tags/v0.3.0' }, metadata: { invocationId: 'https://github.com/o/r/actions/runs/42/attempts/2' } },
    ],
  ])('runDetails %s', (_name, env, expected) => {
    expect(runDetails(env)).toEqual(expected);
  });

  it('refuses a subject that is not a digest', () => {
    expect(() => provenanceStatement({ ...input, digest: 'latest' })).toThrow(/digest/);
  });
});

describe('packageProvenanceStatement (pure)', () => {
  const input = {
    project: 'sdk', context: context(SHA_A), source: 'https://github.com/ameideio/ameide', env: {},
    artifact: { file: 'dist/sdk/sdk-0.3.0.tgz', sha256: 'e'.repeat(64) }, package: { name: '@ameideio/sdk', ecosystem: 'npm', version: '0.3.0' },
  };
  it('names the file (base name, sha256) as subject, the package build type, the source, the package and the context', () => {
    const s = packageProvenanceStatement(input);
    expect(s.subject).toEqual([{ name: 'sdk-0.3.0.tgz', digest: { sha256: 'e'.repeat(64) } }]);
    expect(s.predicate.buildDefinition.buildType).toBe(PACKAGE_BUILD_TYPE);
    expect(s.predicate.buildDefinition.externalParameters).toEqual({
      source: { uri: 'https://github.com/ameideio/ameide', ref: 'refs/tags/v0.3.0', digest: { gitCommit: SHA_A } },
      project: 'sdk', package: { name: '@ameideio/sdk', ecosystem: 'npm', version: '0.3.0' }, version: context(SHA_A),
    });
    expect(s.predicate.buildDefinition.resolvedDependencies).toEqual([{ uri: 'git+https://github.com/ameideio/ameide@refs/tags/v0.3.0', digest: { gitCommit: SHA_A } }]);
    expect(JSON.stringify(packageProvenanceStatement({ ...input }))).toBe(JSON.stringify(s));
    expect(checkProvenance(s, { digest: `sha256:${'e'.repeat(64)}`, sha: SHA_A, subject: 'sha256 of sdk-0.3.0.tgz' })).toEqual([]);
    expect(checkProvenance(s, { digest: `sha256:${'f'.repeat(64)}`, sha: SHA_A, subject: 'sha256 of sdk-0.3.0.tgz' })).toEqual([
      `subject digest sha256:${'e'.repeat(64)} is not the sha256 of sdk-0.3.0.tgz sha256:${'f'.repeat(64)}`,
    ]);
  });
  it('refuses a digest that is not a sha256', () => {
    expect(() => packageProvenanceStatement({ ...input, artifact: { file: 'x.tgz', sha256: 'nope' } })).toThrow(/sha256/);
  });
  it('withoutKey drops the key a bundle carries, and keeps the rest', () => {
    expect(JSON.parse(withoutKey(Buffer.from(JSON.stringify({ base64Signature: 's', cert: 'k' }))).toString())).toEqual({ base64Signature: 's' });
    expect(withoutKey(Buffer.from('x')).toString()).toBe('x');
  });
  it('bundleStatement reads the statement of a cosign bundle, and null from anything else', () => {
    const envelope = JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: Buffer.from('{"predicateType":"p"}').toString('base64'), signatures: [] });
    expect(bundleStatement(JSON.stringify({ base64Signature: Buffer.from(envelope).toString('base64') }))).toEqual({ predicateType: 'p' });
    expect(bundleStatement('not json')).toBeNull();
    expect(bundleStatement('{}')).toBeNull();
  });
});

describe('checkProvenance (pure)', () => {
  const good = provenanceStatement({ image: 'r/n', digest: DIGEST, project: 'p', context: context(SHA_A), source: 'https://github.com/o/r', artifacts: [], env: {} });
  it.each([
    ['the statement of the image and SHA is accepted', good, { digest: DIGEST, sha: SHA_A }, []],
    ['and with the repository named', good, { digest: DIGEST, sha: SHA_A, repository: 'https://github.com/o/r' }, []],
    ['another commit is refused', good, { digest: DIGEST, sha: SHA_B }, [`source commit is ${SHA_A}, expected ${SHA_B}`]],
    ['another digest is refused', good, { digest: `sha256:${'f'.repeat(64)}`, sha: SHA_A }, [`subject digest ${DIGEST} is not the image digest sha256:${'f'.repeat(64)}`]],
    ['another repository is refused', good, { digest: DIGEST, sha: SHA_A, repository: 'https://github.com/evil/r' }, ['source repository is https://github.com/o/r, expected https://github.com/evil/r']],
    ['another predicate type is refused', { ...good, predicateType: 'https://cyclonedx.org/bom' }, { digest: DIGEST, sha: SHA_A }, [`predicate type is https://cyclonedx.org/bom, not ${SLSA_PROVENANCE_V1}`]],
    ['no statement is refused', null, { digest: DIGEST, sha: SHA_A }, ['the attestation holds no in-toto statement']],
  ])('%s', (_name, statement, expected, problems) => {
    expect(checkProvenance(statement, expected)).toEqual(problems);
  });
});

describe('checkArtifact (pure)', () => {
  const s = provenanceStatement({ image: 'r/n', digest: DIGEST, project: 'p', context: context(SHA_A), artifacts: [{ file: 'dist/p/p-1.0.0.tgz', sha256: 'e'.repeat(64) }], env: {} });
  it.each([
    ['a file the provenance lists is accepted', { name: 'p-1.0.0.tgz', sha256: 'e'.repeat(64) }, []],
    ['the same name with other bytes is refused', { name: 'p-1.0.0.tgz', sha256: 'f'.repeat(64) }, [`p-1.0.0.tgz (sha256:${'f'.repeat(64)}) is not among the artifacts the provenance lists`]],
  ])('%s', (_name, artifact, problems) => {
    expect(checkArtifact(s, artifact)).toEqual(problems);
  });
});

describe('checkSbom (pure)', () => {
  const statement = (sha: string, digest = 'd'.repeat(64), bomFormat = 'CycloneDX') => ({
    subject: [{ digest: { sha256: digest } }],
    predicate: { bomFormat, metadata: { properties: [{ name: 'io.ameide:git.sha', value: sha }] } },
  });
  it.each([
    ['the SBOM of the digest naming the SHA is accepted', statement(SHA_A), []],
    ['another SHA is refused', statement(SHA_B), [`the SBOM names git SHA ${SHA_B}, expected ${SHA_A}`]],
    ['another digest is refused', statement(SHA_A, 'f'.repeat(64)), [`the SBOM attestation is not about ${DIGEST}`]],
    ['a predicate that is not CycloneDX is refused', statement(SHA_A, 'd'.repeat(64), 'SPDX'), ['the predicate is not a CycloneDX document']],
  ])('%s', (_name, s, problems) => {
    expect(checkSbom(s, { digest: DIGEST, sha: SHA_A })).toEqual(problems);
  });
});

describe('cosign output parsing', () => {
  it('reads the verified digest from cosign verify --output json', () => {
    const out = `\n[{"critical":{"identity":{"docker-reference":"r/n"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}]\n`;
    expect(verifiedDigest(out)).toBe(DIGEST);
    expect(verifiedDigest('Error: no signatures found')).toBeNull();
  });
  it('decodes the statements of verify-attestation envelopes', () => {
    const payload = Buffer.from(JSON.stringify({ predicateType: 'x' })).toString('base64');
    expect(statementsOf(`{"payloadType":"application/vnd.in-toto+json","payload":"${payload}","signatures":[]}\n`)).toEqual([{ predicateType: 'x' }]);
  });
  it.each([
    ['a tag', '127.0.0.1:5000/ns/img:1.2.3', '127.0.0.1:5000/ns/img'],
    ['a digest', `127.0.0.1:5000/ns/img@${DIGEST}`, '127.0.0.1:5000/ns/img'],
    ['no tag', 'ghcr.io/ns/img', 'ghcr.io/ns/img'],
  ])('repositoryOf %s', (_name, ref, expected) => {
    expect(repositoryOf(ref)).toBe(expected);
  });
});

describe('provenance attestation and verify against docker-registry', () => {
  let reg: RegistryFixture;
  let tmp: string;
  let key: { priv: string; pub: string };
  const runs: Record<string, OciReleaseResult> = {};
  const image = () => `${reg.host}/ameideio/ameide-sdk-ts`;
  const env = () => ({ AMEIDE_OCI_REGISTRY: reg.host, AMEIDE_OCI_NAMESPACE: 'ameideio', AMEIDE_OCI_INSECURE: 'true', COSIGN_KEY: key.priv, COSIGN_PASSWORD: 'key-pass', COSIGN_BIN: COSIGN, AMEIDE_OCI_SOURCE: 'https://github.com/ameideio/ameide' });

  /** A workspace holding what pack leaves for one SHA, released as one image tagged <sha>. */
  async function release(sha: string): Promise<OciReleaseResult> {
    const ws = join(tmp, `ws-${sha.slice(0, 4)}`);
    mkdirSync(join(ws, 'dist/sdk'), { recursive: true });
    const file = 'dist/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz';
    const bytes = Buffer.from(`tarball at ${sha}\n`.repeat(20));
    writeFileSync(join(ws, file), bytes);
    mkdirSync(join(ws, 'packages/sdk'), { recursive: true });
    writeFileSync(join(ws, 'packages/sdk/package.json'), JSON.stringify({ name: '@ameideio/ameide-sdk-ts', version: '0.0.0', dependencies: {} }));
    const ctx = context(sha);
    const manifest: PackManifest = {
      project: 'sdk', name: '@ameideio/ameide-sdk-ts', ecosystem: 'npm', version: '0.3.0', gitSha: sha, channel: 'release',
      files: [{ file, kind: 'tgz', sha256: createHash('sha256').update(bytes).digest('hex') }],
    };
    return ociRelease({
      project: 'sdk', projectRoot: 'packages/sdk', manifests: [manifest], workspaceRoot: ws, context: ctx, destinations: { oci: { registry: reg.host, namespace: 'ameideio' } }, env: env(), isAncestor: async () => true, dryRun: false, log: () => {},
    });
  }
  const TGZ = 'dist/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz';
  const PACKAGE_ATTESTATIONS = [
    { type: 'slsaprovenance1', predicateType: SLSA_PROVENANCE_V1, status: 'attested', file: `dist/release/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz.provenance.sigstore.json`, subject: TGZ },
    { type: 'cyclonedx', predicateType: 'https://cyclonedx.org/bom', status: 'attested', file: `dist/release/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz.sbom.sigstore.json`, subject: TGZ },
  ];
  const cli = (args: string[]) =>
    run({ command: process.execPath, args: [BIN, 'verify', ...args], env: { ...process.env, AMEIDE_OCI_INSECURE: 'true', COSIGN_BIN: COSIGN } });

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ameide-verify-'));
    await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: tmp, env: { ...process.env, COSIGN_PASSWORD: 'key-pass' } });
    key = { priv: join(tmp, 'cosign.key'), pub: join(tmp, 'cosign.pub') };
    reg = await startRegistry();
    runs.b = await release(SHA_B);
  });
  afterAll(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the ghcr flow attests SLSA v1 provenance and the CycloneDX SBOM of the digest right after signing, and writes both for the release', async () => {
    expect(runs.b.signature).toBe('signed');
    expect(runs.b.attestations).toEqual([
      { type: 'slsaprovenance1', predicateType: SLSA_PROVENANCE_V1, status: 'attested', file: 'dist/release/sdk/provenance.intoto.json' },
      { type: 'cyclonedx', predicateType: 'https://cyclonedx.org/bom', status: 'attested', file: 'dist/release/sdk/sbom.cdx.json' },
      ...PACKAGE_ATTESTATIONS,
    ]);
    const bom = JSON.parse(readFileSync(join(tmp, 'ws-bbbb', 'dist/release/sdk/sbom.cdx.json'), 'utf8'));
    expect(bom.metadata.component).toMatchObject({ group: '@ameideio', name: 'ameide-sdk-ts', version: '0.3.0', purl: 'pkg:npm/%40ameideio/ameide-sdk-ts@0.3.0' });
    const written = JSON.parse(readFileSync(join(tmp, 'ws-bbbb', 'dist/release/sdk/provenance.intoto.json'), 'utf8'));
    expect(checkProvenance(written, { digest: runs.b.digest, sha: SHA_B, repository: 'https://github.com/ameideio/ameide' })).toEqual([]);
    // cosign v3: the attestations are bundles referring to the digest (docker-registry 2.8: in its referrers tag)
    const types = await bundlePredicateTypes(new RegistryClient({ registry: reg.host, insecure: true }), 'ameideio/ameide-sdk-ts', runs.b.digest);
    expect(types.sort()).toEqual([COSIGN_SIGN_PREDICATE, 'https://cyclonedx.org/bom', SLSA_PROVENANCE_V1].sort());
  });

  it('a re-run attests nothing twice: the image\'s are on the registry, the package bundles are kept byte for byte', async () => {
    const bundles = PACKAGE_ATTESTATIONS.map((a) => join(tmp, 'ws-bbbb', a.file));
    const before = bundles.map((b) => readFileSync(b));
    const again = await release(SHA_B);
    expect(again.signature).toBe('already-signed');
    expect(again.attestations.map((a) => a.status)).toEqual(['already-attested', 'already-attested', 'already-attested', 'already-attested']);
    expect(bundles.map((b) => readFileSync(b).equals(before[bundles.indexOf(b)]))).toEqual([true, true]);
  });

  it('a re-run signs a package bundle again when the one there was not made with this key', async () => {
    const provenance = join(tmp, 'ws-bbbb', PACKAGE_ATTESTATIONS[0].file);
    const kept = readFileSync(provenance);
    // a bundle of the same statement, signed with another key, left where the run looks
    const otherDir = join(tmp, 'other-key-rerun');
    mkdirSync(otherDir);
    await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: otherDir, env: { ...process.env, COSIGN_PASSWORD: 'x' } });
    writeFileSync(join(otherDir, 'pred.json'), JSON.stringify((bundleStatement(kept) as { predicate: unknown }).predicate));
    await runOrThrow({
      command: COSIGN, cwd: join(tmp, 'ws-bbbb', 'dist/sdk'), env: { ...process.env, COSIGN_PASSWORD: 'x' },
      args: ['attest-blob', '--yes', '--key', join(otherDir, 'cosign.key'), '--use-signing-config=false', '--tlog-upload=false', '--type', 'slsaprovenance1', '--predicate', join(otherDir, 'pred.json'), '--bundle', provenance, 'ameideio-ameide-sdk-ts-0.3.0.tgz'],
    });
    const again = await release(SHA_B);
    expect(again.attestations.map((a) => a.status)).toEqual(['already-attested', 'already-attested', 'attested', 'already-attested']);
    const r = await cli(['--artifact', join(tmp, 'ws-bbbb', TGZ), '--bundle', provenance, '--sha', SHA_B, '--key', key.pub]);
    expect(r.exitCode).toBe(0);
  });

  it('verify accepts the image for its SHA (by tag and by digest), and says what it checked', async () => {
    const byTag = await cli([`${image()}:${SHA_B}`, '--key', key.pub, '--sha', SHA_B, '--repo', 'https://github.com/ameideio/ameide']);
    expect(byTag.stdout).toContain(`ok   signature: ${runs.b.digest}`);
    expect(byTag.stdout).toContain(`ok   provenance: SLSA v1 provenance: subject ${runs.b.digest}, source commit ${SHA_B}`);
    expect(byTag.stdout).toContain(`ok   sbom: CycloneDX SBOM of pkg:npm/%40ameideio/ameide-sdk-ts@0.3.0, git SHA ${SHA_B}`);
    expect(byTag.exitCode).toBe(0);
    const byDigest = await cli([runs.b.ref, '--key', key.pub, '--sha', SHA_B]);
    expect(byDigest.exitCode).toBe(0);
  });

  it('verify --artifact ties a package file to the image: the packed file passes, another file with its name fails', async () => {
    const tgz = join(tmp, 'ws-bbbb', 'dist/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz');
    const ok = await cli([runs.b.ref, '--key', key.pub, '--sha', SHA_B, '--artifact', tgz]);
    expect(ok.stdout).toContain('ok   artifact: ameideio-ameide-sdk-ts-0.3.0.tgz (sha256:');
    expect(ok.exitCode).toBe(0);
    const forged = join(tmp, 'forged', 'ameideio-ameide-sdk-ts-0.3.0.tgz');
    mkdirSync(dirname(forged), { recursive: true });
    writeFileSync(forged, 'not what was built');
    const bad = await cli([runs.b.ref, '--key', key.pub, '--sha', SHA_B, '--artifact', forged]);
    expect(bad.stdout).toMatch(/FAIL artifact: ameideio-ameide-sdk-ts-0\.3\.0\.tgz \(sha256:[0-9a-f]{64}\) is not among the artifacts the provenance lists/);
    expect(bad.exitCode).toBe(1);
  });

  describe('a package file on its own (cosign attest-blob bundles)', () => {
    const ws = () => join(tmp, 'ws-bbbb');
    const bundle = () => join(ws(), 'dist/release/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz.provenance.sigstore.json');
    const sbomBundle = () => join(ws(), 'dist/release/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz.sbom.sigstore.json');
    const verifyFile = (file: string, sha: string, pub = key.pub, extra: string[] = []) =>
      cli(['--artifact', file, '--bundle', bundle(), '--sbom-bundle', sbomBundle(), '--sha', sha, '--key', pub, ...extra]);

    it('the bundle holds the package statement: subject the file\'s sha256, source the SHA, the package build type', () => {
      const sha256 = createHash('sha256').update(readFileSync(join(ws(), TGZ))).digest('hex');
      const s = bundleStatement(readFileSync(bundle())) as ReturnType<typeof packageProvenanceStatement>;
      expect(s.subject).toEqual([{ name: 'ameideio-ameide-sdk-ts-0.3.0.tgz', digest: { sha256 } }]);
      expect(s.predicate.buildDefinition.buildType).toBe(PACKAGE_BUILD_TYPE);
      expect(s.predicate.buildDefinition.externalParameters.package).toEqual({ name: '@ameideio/ameide-sdk-ts', ecosystem: 'npm', version: '0.3.0' });
      expect(checkProvenance(s, { digest: `sha256:${sha256}`, sha: SHA_B, repository: 'https://github.com/ameideio/ameide' })).toEqual([]);
      const bom = bundleStatement(readFileSync(sbomBundle()));
      expect(checkSbom(bom, { digest: `sha256:${sha256}`, sha: SHA_B })).toEqual([]);
    });

    it('verify accepts the packed file for its SHA: signature, provenance, SBOM', async () => {
      const r = await verifyFile(join(ws(), TGZ), SHA_B, key.pub, ['--repo', 'https://github.com/ameideio/ameide']);
      expect(r.stdout).toMatch(/^ok   signature: ameideio-ameide-sdk-ts-0\.3\.0\.tgz\.provenance\.sigstore\.json signed by .*cosign\.pub, subject ameideio-ameide-sdk-ts-0\.3\.0\.tgz \(sha256:[0-9a-f]{64}\)$/m);
      expect(r.stdout).toContain(`ok   provenance: SLSA v1 provenance: subject ameideio-ameide-sdk-ts-0.3.0.tgz`);
      expect(r.stdout).toContain(`ok   sbom: CycloneDX SBOM of pkg:npm/%40ameideio/ameide-sdk-ts@0.3.0, git SHA ${SHA_B}`);
      expect(r.stdout).toContain(`verified: ameideio-ameide-sdk-ts-0.3.0.tgz (sha256:`);
      expect(r.exitCode).toBe(0);
    });

    it('a file with one byte changed fails (cosign finds no subject with its digest)', async () => {
      const bytes = readFileSync(join(ws(), TGZ));
      bytes[10] ^= 1;
      const tampered = join(tmp, 'tampered', 'ameideio-ameide-sdk-ts-0.3.0.tgz');
      mkdirSync(dirname(tampered), { recursive: true });
      writeFileSync(tampered, bytes);
      const r = await verifyFile(tampered, SHA_B);
      expect(r.stdout).toMatch(/FAIL signature: .*(no matching subject digest|provided artifact digests do not match)/);
      expect(r.stdout).toMatch(/FAIL sbom: .*(no matching subject digest|provided artifact digests do not match)/);
      expect(r.stdout).toContain('NOT verified: ameideio-ameide-sdk-ts-0.3.0.tgz');
      expect(r.exitCode).toBe(1);
    });

    it('the right file for another SHA fails', async () => {
      const r = await verifyFile(join(ws(), TGZ), SHA_A);
      expect(r.stdout).toContain('ok   signature:');
      expect(r.stdout).toContain(`FAIL provenance: source commit is ${SHA_B}, expected ${SHA_A}`);
      expect(r.stdout).toContain(`FAIL sbom: the SBOM names git SHA ${SHA_B}, expected ${SHA_A}`);
      expect(r.exitCode).toBe(1);
    });

    it('another key fails, and so does another file\'s bundle', async () => {
      const otherDir = join(tmp, 'other-key-blob');
      mkdirSync(otherDir);
      await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: otherDir, env: { ...process.env, COSIGN_PASSWORD: 'x' } });
      const r = await verifyFile(join(ws(), TGZ), SHA_B, join(otherDir, 'cosign.pub'));
      expect(r.stdout).toContain('FAIL signature:');
      expect(r.exitCode).toBe(1);
      // a bundle the project's key made for another file does not vouch for this one
      const other = join(tmp, 'other-file');
      mkdirSync(other, { recursive: true });
      writeFileSync(join(other, 'x.tgz'), 'another file');
      writeFileSync(join(other, 'pred.json'), JSON.stringify((bundleStatement(readFileSync(bundle())) as { predicate: unknown }).predicate));
      await runOrThrow({
        command: COSIGN, cwd: other, env: { ...process.env, COSIGN_PASSWORD: 'key-pass' },
        args: ['attest-blob', '--yes', '--key', key.priv, '--use-signing-config=false', '--tlog-upload=false', '--type', 'slsaprovenance1', '--predicate', 'pred.json', '--bundle', 'x.bundle.json', 'x.tgz'],
      });
      const r2 = await cli(['--artifact', join(ws(), TGZ), '--bundle', join(other, 'x.bundle.json'), '--sha', SHA_B, '--key', key.pub]);
      expect(r2.stdout).toMatch(/FAIL signature: .*(no matching subject digest|provided artifact digests do not match)/);
      expect(r2.exitCode).toBe(1);
    });

    it('a forged file with a bundle signed by another key fails, though that bundle carries its own key (cosign would trust it)', async () => {
      const dir = join(tmp, 'forger');
      mkdirSync(dir, { recursive: true });
      await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: dir, env: { ...process.env, COSIGN_PASSWORD: '' } });
      const forged = join(dir, 'ameideio-ameide-sdk-ts-0.3.0.tgz');
      writeFileSync(forged, 'malware');
      const real = bundleStatement(readFileSync(bundle())) as { predicate: unknown };
      writeFileSync(join(dir, 'pred.json'), JSON.stringify(real.predicate)); // claims SHA B
      await runOrThrow({
        command: COSIGN, cwd: dir, env: { ...process.env, COSIGN_PASSWORD: '' },
        args: ['attest-blob', '--yes', '--key', 'cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--type', 'slsaprovenance1', '--predicate', 'pred.json', '--bundle', 'forged.bundle.json', 'ameideio-ameide-sdk-ts-0.3.0.tgz'],
      });
      // cosign v2.4.1 alone accepted it with the project's key (it used the bundle's own key); cosign v3's
      // Sigstore bundle names the key by a hint only, and v3 refuses it: the plugin's check refuses it with either
      const bare = await run({ command: COSIGN, args: ['verify-blob-attestation', '--key', key.pub, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', '--bundle', join(dir, 'forged.bundle.json'), forged] });
      expect(bare.exitCode).toBe(1);
      const r = await cli(['--artifact', forged, '--bundle', join(dir, 'forged.bundle.json'), '--sha', SHA_B, '--key', key.pub]);
      expect(r.stdout).toContain('FAIL signature:');
      expect(r.exitCode).toBe(1);
    });

    it('bad input is refused before cosign runs', async () => {
      const both = await cli([runs.b.ref, '--artifact', join(ws(), TGZ), '--bundle', bundle(), '--sha', SHA_B, '--key', key.pub]);
      expect(both.exitCode).toBe(1);
      expect(both.stderr).toContain('verify takes an image or --bundle, not both');
      const noArtifact = await cli(['--bundle', bundle(), '--sha', SHA_B, '--key', key.pub]);
      expect(noArtifact.stderr).toContain('needs --artifact <file> --bundle');
      const missing = await cli(['--artifact', join(ws(), TGZ), '--bundle', join(tmp, 'nope.json'), '--sha', SHA_B, '--key', key.pub]);
      expect(missing.stderr).toContain('--bundle');
      expect(missing.stderr).toContain('does not exist');
      expect(missing.exitCode).toBe(1);
    });
  });

  it('verify refuses the right image for another SHA', async () => {
    const r = await cli([runs.b.ref, '--key', key.pub, '--sha', SHA_A]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`FAIL provenance: source commit is ${SHA_B}, expected ${SHA_A}`);
    expect(r.stdout).toContain(`FAIL sbom: the SBOM names git SHA ${SHA_B}, expected ${SHA_A}`);
  });

  it('tampering fails: an unsigned image pushed under the tag', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true });
    // an image of a third commit, pushed without a signature (sign off), under its :<sha> tag
    runs.a = await ociRelease({ ...(await releaseInputOff('e'.repeat(40))) });
    const other = (await client.getManifest('ameideio/ameide-sdk-ts', runs.a.digest))!;
    await client.putManifest('ameideio/ameide-sdk-ts', 'tampered-unsigned', other.bytes, 'application/vnd.oci.image.manifest.v1+json');
    const r = await cli([`${image()}:tampered-unsigned`, '--key', key.pub, '--sha', SHA_B]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('FAIL signature:');
  });

  it('tampering fails: a signed and attested image of another SHA pushed under the tag', async () => {
    const signedA = await release(SHA_A); // signs and attests A (its digest differs from B's)
    expect(signedA.attestations.map((a) => a.status)).toEqual(['attested', 'attested', 'attested', 'attested']);
    const client = new RegistryClient({ registry: reg.host, insecure: true });
    const other = (await client.getManifest('ameideio/ameide-sdk-ts', signedA.digest))!;
    await client.putManifest('ameideio/ameide-sdk-ts', SHA_B, other.bytes, 'application/vnd.oci.image.manifest.v1+json');
    const r = await cli([`${image()}:${SHA_B}`, '--key', key.pub, '--sha', SHA_B]);
    expect(r.stdout).toContain('ok   signature:');
    expect(r.stdout).toContain(`FAIL provenance: source commit is ${SHA_A}, expected ${SHA_B}`);
    expect(r.exitCode).toBe(1);
  });

  it('tampering fails: another key', async () => {
    const otherDir = join(tmp, 'other-key');
    mkdirSync(otherDir);
    await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: otherDir, env: { ...process.env, COSIGN_PASSWORD: 'x' } });
    const r = await cli([runs.b.ref, '--key', join(otherDir, 'cosign.pub'), '--sha', SHA_B]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('FAIL signature:');
  });

  it('bad input is refused before cosign runs', async () => {
    const noSha = await cli([runs.b.ref, '--key', key.pub]);
    expect(noSha.exitCode).toBe(1);
    expect(noSha.stderr).toContain('--sha');
    const both = await cli([runs.b.ref, '--key', key.pub, '--certificate-identity-regexp', '.*', '--sha', SHA_B]);
    expect(both.stderr).toContain('exactly one of --key');
  });

  /** The input of an unsigned release of `sha` (sign off: nothing attested). */
  async function releaseInputOff(sha: string) {
    const ws = join(tmp, `ws-off-${sha.slice(0, 4)}`);
    mkdirSync(join(ws, 'dist/sdk'), { recursive: true });
    const file = 'dist/sdk/x.tgz';
    const bytes = Buffer.from(`unsigned ${sha}\n`);
    writeFileSync(join(ws, file), bytes);
    const manifest: PackManifest = {
      project: 'sdk', name: '@ameideio/ameide-sdk-ts', ecosystem: 'npm', version: '0.3.0', gitSha: sha, channel: 'release',
      files: [{ file, kind: 'tgz', sha256: createHash('sha256').update(bytes).digest('hex') }],
    };
    return {
      project: 'sdk', manifests: [manifest], workspaceRoot: ws, context: { ...context(sha), GHCR_TAGS: [sha] }, destinations: { oci: { registry: reg.host, namespace: 'ameideio' } }, env: env(),
      isAncestor: async () => true, dryRun: false, log: () => {}, sign: 'off' as const,
    };
  }
});
