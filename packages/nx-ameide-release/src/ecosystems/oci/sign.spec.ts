import { ReleaseError } from '../../errors';
import { resolveSignMode } from './release';
import { signatureTag, signCommand, verifyCommand } from './sign';

const REF = `127.0.0.1:5000/ameideio/x@sha256:${'a'.repeat(64)}`;

describe('signCommand', () => {
  it('key signing: key in argv, password only in the child env, no tlog upload', () => {
    const cmd = signCommand({ ref: REF, insecure: false }, 'key', { key: '/k/cosign.key', password: 'pw-secret' }, { cosign: 'cosign', env: {} });
    expect(cmd.args).toEqual(['sign', '--yes', '--key', '/k/cosign.key', '--tlog-upload=false', REF]);
    expect(cmd.args.join(' ')).not.toContain('pw-secret');
    expect(cmd.env?.COSIGN_PASSWORD).toBe('pw-secret');
  });
  it('key signing without a password still sets an empty COSIGN_PASSWORD (no prompt without a TTY)', () => {
    expect(signCommand({ ref: REF, insecure: false }, 'key', { key: 'k' }, { env: {} }).env?.COSIGN_PASSWORD).toBe('');
  });
  it('keyless: no key, the OIDC environment is passed through', () => {
    const cmd = signCommand({ ref: REF, insecure: false }, 'keyless', {}, { env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'u' } });
    expect(cmd.args).toEqual(['sign', '--yes', REF]);
    expect(cmd.env?.ACTIONS_ID_TOKEN_REQUEST_URL).toBe('u');
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
  it('names the signature tag as cosign does', () => {
    expect(signatureTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}.sig`);
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
