import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact } from './exec';
import { npmRegistry, ociRegistry, pypiRegistry, readSecret } from './registries';

describe('registries', () => {
  it('defaults to the public registries', () => {
    expect(npmRegistry({}).url).toBe('https://registry.npmjs.org/');
    expect(pypiRegistry({}).indexUrl).toBe('https://pypi.org/simple/');
    expect(ociRegistry({})).toMatchObject({ registry: 'ghcr.io', namespace: 'ameideio', insecure: false });
  });

  it('reads a secret from NAME_FILE, registers it for redaction, and keeps the URL slash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-'));
    writeFileSync(join(dir, 't'), 'file-token-123456\n');
    const reg = npmRegistry({ AMEIDE_NPM_REGISTRY: 'http://127.0.0.1:4873', NPM_TOKEN_FILE: join(dir, 't') });
    expect(reg).toEqual({ url: 'http://127.0.0.1:4873/', token: 'file-token-123456' });
    expect(redact('auth file-token-123456')).toBe('auth ***');
  });

  it('maps a PyPI token to the __token__ user and GITHUB_TOKEN to OCI credentials', () => {
    expect(pypiRegistry({ PYPI_TOKEN: 'pypi-AgEIcHlwaS5vcmc' })).toMatchObject({ username: '__token__', password: 'pypi-AgEIcHlwaS5vcmc' });
    expect(ociRegistry({ GITHUB_TOKEN: 'ghs_abcdef', GITHUB_ACTOR: 'bot' })).toMatchObject({ username: 'bot', password: 'ghs_abcdef' });
  });

  it('says what to fix when NAME_FILE cannot be read', () => {
    expect(() => readSecret({ NPM_TOKEN_FILE: '/nonexistent/token' }, 'NPM_TOKEN')).toThrow(/NPM_TOKEN_FILE points at \/nonexistent\/token[\s\S]*fix:/);
  });
});
