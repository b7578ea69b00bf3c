import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact } from '../exec';
import { goRegistry, npmRegistry, ociRegistry, pypiRegistry, readSecret } from './registries';
import type { Destinations } from '.';

const DEST: Destinations = {
  npm: { registry: 'http://127.0.0.1:4873/', access: 'public', scope: '@acme' },
  pypi: { uploadUrl: 'https://pypi.acme.dev/', indexUrl: 'https://pypi.acme.dev/simple/' },
  go: { remote: 'https://github.com/acme/sdk-go', branch: 'main' },
  oci: { registry: 'ghcr.io', namespace: 'acme' },
};

describe('registries', () => {
  it('takes every URL from the resolved destinations, never from the environment', () => {
    const env = { AMEIDE_NPM_REGISTRY: 'http://elsewhere/', AMEIDE_OCI_NAMESPACE: 'elsewhere', AMEIDE_GO_REMOTE: 'elsewhere' };
    expect(npmRegistry(env, DEST)).toMatchObject({ url: 'http://127.0.0.1:4873/', access: 'public', scope: '@acme' });
    expect(pypiRegistry(env, DEST)).toMatchObject({ uploadUrl: 'https://pypi.acme.dev/', indexUrl: 'https://pypi.acme.dev/simple/' });
    expect(goRegistry(env, DEST)).toEqual({ remote: 'https://github.com/acme/sdk-go', branch: 'main' });
    expect(ociRegistry(env, DEST)).toMatchObject({ registry: 'ghcr.io', namespace: 'acme', insecure: false });
  });

  it('refuses a kind that was not resolved, saying how to resolve it', () => {
    expect(() => ociRegistry({}, { npm: DEST.npm })).toThrow(/no oci destination was resolved[\s\S]*fix: resolve it first/);
  });

  it('reads a secret from NAME_FILE and registers it for redaction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-'));
    writeFileSync(join(dir, 't'), 'file-token-123456\n');
    expect(npmRegistry({ NPM_TOKEN_FILE: join(dir, 't') }, DEST).token).toBe('file-token-123456');
    expect(redact('auth file-token-123456')).toBe('auth ***');
  });

  it('maps a PyPI token to the __token__ user and GITHUB_TOKEN to OCI credentials', () => {
    expect(pypiRegistry({ PYPI_TOKEN: 'pypi-AgEIcHlwaS5vcmc' }, DEST)).toMatchObject({ username: '__token__', password: 'pypi-AgEIcHlwaS5vcmc' });
    expect(ociRegistry({ GITHUB_TOKEN: 'ghs_abcdef', GITHUB_ACTOR: 'bot' }, DEST)).toMatchObject({ username: 'bot', password: 'ghs_abcdef' });
  });

  it('says what to fix when NAME_FILE cannot be read', () => {
    expect(() => readSecret({ NPM_TOKEN_FILE: '/nonexistent/token' }, 'NPM_TOKEN')).toThrow(/NPM_TOKEN_FILE points at \/nonexistent\/token[\s\S]*fix:/);
  });
});
