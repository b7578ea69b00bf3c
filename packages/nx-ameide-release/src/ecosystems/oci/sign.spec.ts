import { ReleaseError } from '../../errors';
import { resolveSignMode } from './input';
import { attestationTag, attestBlobCommand, attestCommand, describeSigning, privateSigstore, referrersTag, signatureTag, signCommand, verifyAttestationCommand, verifyBlobAttestationCommand, verifyCommand, verifySignerCommand } from './sign';

const REF = `127.0.0.1:5000/ameideio/x@sha256:${'a'.repeat(64)}`;

describe('signCommand', () => {
  it('key signing: key in argv, password only in the child env, no signing config (cosign v3), no tlog upload', () => {
    const cmd = signCommand({ ref: REF, insecure: false }, 'key', { key: '/k/cosign.key', password: 'pw-secret' }, { cosign: 'cosign', env: {} });
    expect(cmd.args).toEqual(['sign', '--yes', '--key', '/k/cosign.key', '--use-signing-config=false', '--tlog-upload=false', REF]);
    expect(cmd.args.join(' ')).not.toContain('pw-secret');
    expect(cmd.env?.COSIGN_PASSWORD).toBe('pw-secret');
  });
  it('key signing without a password still sets an empty COSIGN_PASSWORD (no prompt without a TTY)', () => {
    expect(signCommand({ ref: REF, insecure: false }, 'key', { key: 'k' }, { env: {} }).env?.COSIGN_PASSWORD).toBe('');
  });
  it('keyless: no key, the OIDC environment is passed through (the public Sigstore: cosign\'s signing config)', () => {
    const cmd = signCommand({ ref: REF, insecure: false }, 'keyless', {}, { env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'u' } });
    expect(cmd.args).toEqual(['sign', '--yes', REF]);
    expect(cmd.env?.ACTIONS_ID_TOKEN_REQUEST_URL).toBe('u');
  });
  it('keyless through a private Fulcio (AMEIDE_FULCIO_URL): that Fulcio, its trusted root, no transparency log', () => {
    const env = { AMEIDE_FULCIO_URL: 'http://127.0.0.1:9/', AMEIDE_SIGSTORE_TRUSTED_ROOT: '/s/trusted_root.json' };
    expect(signCommand({ ref: REF, insecure: false }, 'keyless', {}, { env }).args).toEqual([
      'sign', '--yes', '--use-signing-config=false', '--fulcio-url', 'http://127.0.0.1:9/', '--tlog-upload=false', '--trusted-root', '/s/trusted_root.json', REF,
    ]);
    expect(privateSigstore({ AMEIDE_FULCIO_URL: ' ' })).toBeNull(); // empty counts as absent
    expect(describeSigning('keyless', env)).toMatch(/Fulcio at http:\/\/127\.0\.0\.1:9\/.*transparency-log upload off/);
    expect(describeSigning('keyless', {})).toMatch(/public Sigstore.*Rekor/);
    expect(describeSigning('key', env)).toMatch(/transparency-log upload off/);
  });
  it('a plain-http sandbox gets the insecure flags', () => {
    expect(signCommand({ ref: REF, insecure: true }, 'keyless', {}, { env: {} }).args).toEqual(['sign', '--yes', '--allow-insecure-registry', '--allow-http-registry', REF]);
    expect(verifyCommand({ ref: REF, insecure: true }, 'p.pub').args).toEqual([
      'verify', '--key', 'p.pub', '--insecure-ignore-tlog=true', '--allow-insecure-registry', '--allow-http-registry', REF,
    ]);
  });
  it('refuses to sign a tag', () => {
    expect(() => signCommand({ ref: '127.0.0.1:5000/ameideio/x:latest', insecure: false }, 'keyless')).toThrow(/digest/);
  });
  it('names the signature tag (cosign v2) and the referrers tag (OCI 1.1, cosign v3 without the referrers API) as they are', () => {
    expect(signatureTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}.sig`);
    expect(referrersTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}`);
  });
});

describe('attestCommand / verifyAttestationCommand', () => {
  const predicate = { type: 'slsaprovenance1' as const, predicateFile: '/tmp/p.json' };
  it('key attestation: the signing flags of the key mode, the password only in the env', () => {
    const cmd = attestCommand({ ref: REF, insecure: true }, 'key', predicate, { key: '/k/cosign.key', password: 'pw-secret' }, { env: {} });
    expect(cmd.args).toEqual([
      'attest', '--yes', '--type', 'slsaprovenance1', '--predicate', '/tmp/p.json',
      '--key', '/k/cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--allow-insecure-registry', '--allow-http-registry', REF,
    ]);
    expect(cmd.env?.COSIGN_PASSWORD).toBe('pw-secret');
  });
  it('keyless attestation: no key', () => {
    expect(attestCommand({ ref: REF, insecure: false }, 'keyless', { type: 'cyclonedx', predicateFile: 'b.json' }, {}, { env: {} }).args).toEqual([
      'attest', '--yes', '--type', 'cyclonedx', '--predicate', 'b.json', REF,
    ]);
  });
  it('refuses to attest a tag', () => {
    expect(() => attestCommand({ ref: 'r/x:latest', insecure: false }, 'keyless', predicate)).toThrow(/digest/);
  });
  it('verifies by key (tlog ignored: the project signs with tlog off) or by keyless identity', () => {
    expect(verifyAttestationCommand({ ref: REF, insecure: false }, 'slsaprovenance1', { key: 'p.pub' }).args).toEqual([
      'verify-attestation', '--type', 'slsaprovenance1', '--key', 'p.pub', '--insecure-ignore-tlog=true', REF,
    ]);
    expect(verifySignerCommand('ghcr.io/o/x:1.0.0', { identityRegexp: '^https://github.com/o/r/', issuer: 'https://token.actions.githubusercontent.com' }, false).args).toEqual([
      'verify', '--certificate-identity-regexp', '^https://github.com/o/r/', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--output', 'json', 'ghcr.io/o/x:1.0.0',
    ]);
    // a private Sigstore's trusted root: no transparency log and no CT log to ask
    expect(verifySignerCommand('r/x:1', { identityRegexp: '^x', issuer: 'http://i', trustedRoot: '/t.json' }, false).args).toEqual([
      'verify', '--certificate-identity-regexp', '^x', '--certificate-oidc-issuer', 'http://i', '--trusted-root', '/t.json', '--insecure-ignore-tlog=true', '--insecure-ignore-sct=true', '--output', 'json', 'r/x:1',
    ]);
  });
  it('names the attestation tag as cosign does', () => {
    expect(attestationTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}.att`);
  });
});

describe('attestBlobCommand / verifyBlobAttestationCommand', () => {
  const doc = { type: 'slsaprovenance1' as const, predicateFile: '/tmp/p.json', bundle: '/ws/dist/release/sdk/x-1.0.0.tgz.provenance.sigstore.json' };
  it('key: runs in the file\'s folder on its base name (the subject name), the bundle out, no tlog upload, the password only in the env', () => {
    const cmd = attestBlobCommand('/ws/dist/sdk/x-1.0.0.tgz', 'key', doc, { key: '/k/cosign.key', password: 'pw-secret' }, { env: {}, cosign: '/bin/cosign' });
    expect(cmd).toEqual({
      command: '/bin/cosign',
      cwd: '/ws/dist/sdk',
      args: ['attest-blob', '--yes', '--type', 'slsaprovenance1', '--predicate', '/tmp/p.json', '--bundle', doc.bundle, '--key', '/k/cosign.key', '--use-signing-config=false', '--tlog-upload=false', 'x-1.0.0.tgz'],
      env: { COSIGN_PASSWORD: 'pw-secret' },
    });
    expect(cmd.args.join(' ')).not.toContain('pw-secret');
  });
  it('key: a relative key path is resolved (cosign runs elsewhere), a KMS URI is kept', () => {
    expect(attestBlobCommand('/ws/a.whl', 'key', doc, { key: 'keys/cosign.key' }, { env: {} }).args).toContain(`${process.cwd()}/keys/cosign.key`);
    expect(attestBlobCommand('/ws/a.whl', 'key', doc, { key: 'gcpkms://k' }, { env: {} }).args).toContain('gcpkms://k');
  });
  it('keyless: no key, tlog on (Rekor), the OIDC environment passed through', () => {
    const cmd = attestBlobCommand('/ws/a.whl', 'keyless', { ...doc, type: 'cyclonedx' }, {}, { env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'u' } });
    expect(cmd.args).toEqual(['attest-blob', '--yes', '--type', 'cyclonedx', '--predicate', '/tmp/p.json', '--bundle', doc.bundle, 'a.whl']);
    expect(cmd.env?.ACTIONS_ID_TOKEN_REQUEST_URL).toBe('u');
  });
  it('refuses relative paths and key mode without a key', () => {
    expect(() => attestBlobCommand('dist/a.whl', 'key', doc, { key: '/k' })).toThrow(/absolute/);
    expect(() => attestBlobCommand('/ws/a.whl', 'key', doc, {})).toThrow(/COSIGN_KEY/);
  });
  it('verifies a file and its bundle by key (tlog ignored) or by keyless identity', () => {
    expect(verifyBlobAttestationCommand('/d/a.whl', '/d/b.json', 'slsaprovenance1', { key: 'p.pub' }).args).toEqual([
      'verify-blob-attestation', '--bundle', '/d/b.json', '--type', 'slsaprovenance1', '--key', 'p.pub', '--insecure-ignore-tlog=true', '/d/a.whl',
    ]);
    expect(verifyBlobAttestationCommand('/d/a.whl', '/d/b.json', 'cyclonedx', { identityRegexp: '^x', issuer: 'https://i' }).args).toEqual([
      'verify-blob-attestation', '--bundle', '/d/b.json', '--type', 'cyclonedx', '--certificate-identity-regexp', '^x', '--certificate-oidc-issuer', 'https://i', '/d/a.whl',
    ]);
  });
});

describe('resolveSignMode', () => {
  it.each([
    ['explicit option wins', 'off', {}, {}, 'off'],
    ['COSIGN_KEY set: key', undefined, { cosignKey: 'k' }, { GITHUB_ACTIONS: 'true' }, 'key'],
    ['GitHub Actions without a key: keyless', undefined, {}, { GITHUB_ACTIONS: 'true' }, 'keyless'],
  ] as const)('%s', (_row, option, reg, env, expected) => {
    expect(resolveSignMode(option, reg, env)).toBe(expected);
  });
  it('nothing configured outside GitHub Actions: an error telling how to fix it', () => {
    expect(() => resolveSignMode(undefined, {}, {})).toThrow(ReleaseError);
    expect(() => resolveSignMode(undefined, {}, {})).toThrow(/COSIGN_KEY.*--sign=off/s);
  });
});
