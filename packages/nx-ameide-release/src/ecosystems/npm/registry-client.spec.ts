import { classifyNpmFailure, nerfDart, NpmCommandError, isTransientNpm, packumentUrl, publishArgs } from './registry-client';

describe('classifyNpmFailure (what the release does with npm\'s own error text)', () => {
  it.each([
    ['Verdaccio conflict', 'npm error code E409\nnpm error 409 Conflict - PUT http://127.0.0.1:4873/@fx%2fcfg - this package is already present', 'exists'],
    ['npmjs over a used version', 'npm error code E403\nnpm error 403 403 Forbidden - PUT https://registry.npmjs.org/x - You cannot publish over the previously published versions: 1.0.0.', 'exists'],
    ['rejected token', 'npm error code E401\nnpm error 401 Unauthorized - PUT http://127.0.0.1:4873/x', 'client'],
    ['not allowed', 'npm error code E403\nnpm error 403 Forbidden - PUT http://x/y - user ci is not allowed to publish package y', 'client'],
    ['registry down', 'npm error code ECONNREFUSED\nnpm error syscall connect\nnpm error errno ECONNREFUSED', 'transient'],
    ['connection reset', 'npm error code ECONNRESET', 'transient'],
    ['server error', 'npm error code E503\nnpm error 503 Service Unavailable - PUT http://x/y', 'transient'],
    ['timeout', 'npm error code ETIMEDOUT', 'transient'],
    ['something else', 'npm error code EUSAGE', 'unknown'],
  ])('%s -> %s', (_n, text, kind) => expect(classifyNpmFailure(text)).toBe(kind));

  it('retries transient failures only', () => {
    expect(isTransientNpm(new NpmCommandError('transient', 'x', 'npm publish'))).toBe(true);
    expect(isTransientNpm(new NpmCommandError('client', 'x', 'npm publish'))).toBe(false);
    expect(isTransientNpm(new NpmCommandError('exists', 'x', 'npm publish'))).toBe(false);
  });
});

describe('registry URLs', () => {
  it.each([
    ['http://127.0.0.1:4873/', '//127.0.0.1:4873/'],
    ['https://npm.pkg.github.com/', '//npm.pkg.github.com/'],
    ['https://host/artifactory/api/npm/npm-local/', '//host/artifactory/api/npm/npm-local/'],
  ])('nerf-dart of %s is %s', (url, expected) => expect(nerfDart(url)).toBe(expected));
  it('escapes the scope slash in a packument URL', () => {
    expect(packumentUrl('http://127.0.0.1:4873/', '@ameideio/configuration')).toBe('http://127.0.0.1:4873/@ameideio%2fconfiguration');
  });
});

describe('npm publish arguments', () => {
  it('always an explicit tag and no scripts, and never --force (npm\'s own "version exists" check stays as a second guard on registries that allow redeploys)', () => {
    expect(publishArgs('/ws/dist/p/p.tgz', 'dev')).toEqual(['publish', '/ws/dist/p/p.tgz', '--tag', 'dev', '--ignore-scripts']);
    expect(publishArgs('/ws/dist/p/p.tgz', 'latest', 'public')).toEqual(['publish', '/ws/dist/p/p.tgz', '--tag', 'latest', '--access', 'public', '--ignore-scripts']);
  });
});
