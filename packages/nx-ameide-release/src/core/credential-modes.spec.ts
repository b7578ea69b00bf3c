import { modeFindings, resolveMode, resolveModes, workflowFileOf, type ModeEcosystem } from './credential-modes';

/** What GitHub Actions sets in a job with `id-token: write`, run from cd-packages.yml. */
const GHA = {
  GITHUB_ACTIONS: 'true',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.actions.example/idtoken?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-value',
  GITHUB_WORKFLOW_REF: 'ameideio/ameide/.github/workflows/cd-packages.yml@refs/heads/main',
};

describe('resolveMode: token, trusted publishing (oidc) or none, per ecosystem', () => {
  it.each<[string, ModeEcosystem, Record<string, string>, string]>([
    ['npm token', 'npm', { NPM_TOKEN: 't' }, 'token'],
    ['npm token from a file', 'npm', { NPM_TOKEN_FILE: '/run/secrets/npm' }, 'token'],
    ['NODE_AUTH_TOKEN as the npm token', 'npm', { NODE_AUTH_TOKEN: 't' }, 'token'],
    ['a token wins over OIDC (opted in; it also covers the dist-tag writes)', 'npm', { ...GHA, NPM_TOKEN: 't' }, 'token'],
    ['no token, an ID token on offer: trusted publishing', 'npm', GHA, 'oidc'],
    ['an empty NPM_TOKEN (an unset secret) counts as absent', 'npm', { ...GHA, NPM_TOKEN: '', NODE_AUTH_TOKEN: '  ' }, 'oidc'],
    ["setup-node's placeholder NODE_AUTH_TOKEN is not a token", 'npm', { ...GHA, NODE_AUTH_TOKEN: 'XXXXX-XXXXX-XXXXX-XXXXX' }, 'oidc'],
    ['an empty ACTIONS_ID_TOKEN_REQUEST_URL counts as absent', 'npm', { ...GHA, ACTIONS_ID_TOKEN_REQUEST_URL: '' }, 'none'],
    ['nothing at all', 'npm', {}, 'none'],
    ['PyPI API token', 'pypi', { ...GHA, PYPI_TOKEN: 'pypi-x' }, 'token'],
    ['PyPI username + password', 'pypi', { PYPI_USERNAME: 'u', PYPI_PASSWORD_FILE: '/p' }, 'token'],
    ['a PyPI password without a username is no credential', 'pypi', { PYPI_PASSWORD: 'p' }, 'none'],
    ['PyPI: no token, an ID token on offer: trusted publishing', 'pypi', { ...GHA, PYPI_TOKEN: '' }, 'oidc'],
  ])('%s', (_name, eco, env, mode) => {
    const r = resolveMode(eco, env);
    expect(r.mode).toBe(mode);
    expect(r.why).not.toMatch(/request-token-value|\bt\b(?!oken)/); // names variables, never values
  });

  it('resolves each ecosystem on its own', () => {
    expect(resolveModes({ ...GHA, PYPI_TOKEN: 'x' })).toEqual({
      npm: { mode: 'oidc', why: expect.stringContaining('ACTIONS_ID_TOKEN_REQUEST_URL is set') },
      pypi: { mode: 'token', why: 'PYPI_TOKEN is set' },
    });
  });
});

describe('workflowFileOf', () => {
  it.each([
    ['owner/repo/.github/workflows/cd-packages.yml@refs/heads/main', 'cd-packages.yml'],
    ['owner/repo/.github/workflows/release.yaml@refs/tags/v1.2.3', 'release.yaml'],
    ['', null],
    [undefined, null],
  ])('%s -> %s', (ref, file) => expect(workflowFileOf({ GITHUB_WORKFLOW_REF: ref })).toBe(file));
});

describe('modeFindings: every case that cannot work, refused with its fix before any upload', () => {
  const npm = (env: Record<string, string>, facts = {}) => modeFindings('npm', resolveMode('npm', env), env, { npmVersion: '11.6.2', packageExists: true, name: '@fx/sdk', registry: 'https://registry.npmjs.org/', ...facts });
  const one = (fs: { problem: string; fix: string }[]) => {
    expect(fs).toHaveLength(1);
    return fs[0];
  };

  it('trusted publishing with all it needs: nothing to refuse', () => {
    expect(npm(GHA)).toEqual([]);
    expect(modeFindings('pypi', resolveMode('pypi', GHA), GHA)).toEqual([]);
  });

  it('a token: nothing of OIDC is checked (the token is checked by the registry read)', () => {
    expect(npm({ NPM_TOKEN: 't' }, { npmVersion: '10.9.0', packageExists: false })).toEqual([]);
  });

  it('OIDC without id-token (no ACTIONS_ID_TOKEN_REQUEST_URL in GitHub Actions), no token either', () => {
    const f = one(npm({ GITHUB_ACTIONS: 'true', GITHUB_WORKFLOW_REF: GHA.GITHUB_WORKFLOW_REF }));
    expect(f.problem).toMatch(/no ACTIONS_ID_TOKEN_REQUEST_URL: the job lacks `permissions: id-token: write`/);
    expect(f.fix).toMatch(/add `id-token: write` to the publish job's permissions .* or set NPM_TOKEN/);
    const p = one(modeFindings('pypi', resolveMode('pypi', { GITHUB_ACTIONS: 'true' }), { GITHUB_ACTIONS: 'true' }));
    expect(p.fix).toMatch(/id-token: write.*or set PYPI_TOKEN/);
  });

  it('no credentials outside CI: says to set a token, and that CI needs none', () => {
    const f = one(npm({}));
    expect(f.problem).toBe('no credentials for https://registry.npmjs.org/: no NPM_TOKEN / NODE_AUTH_TOKEN and no ACTIONS_ID_TOKEN_REQUEST_URL');
    expect(f.fix).toMatch(/set NPM_TOKEN or NPM_TOKEN_FILE .* trusted publishing needs no token/);
  });

  it.each([
    ['10.9.2', true],
    ['11.5.0', true],
    ['11.5.1', false],
    ['11.6.2', false],
    [null, true],
  ])('npm %s on PATH: refused %s', (version, refused) => {
    const fs = npm(GHA, { npmVersion: version });
    expect(fs.length).toBe(refused ? 1 : 0);
    if (refused) {
      expect(fs[0].problem).toMatch(/trusted publishing needs npm ≥ 11\.5\.1 \(on Node ≥ 22\.14\.0\)/);
      expect(fs[0].fix).toMatch(/npm install -g npm@11/);
    }
  });

  it('a package that does not exist yet: the first publish needs a token, and the fix says how', () => {
    const f = one(npm(GHA, { packageExists: false }));
    expect(f.problem).toBe('@fx/sdk does not exist on https://registry.npmjs.org/ yet; a trusted publisher is set on an existing package, so its first publish cannot use OIDC');
    expect(f.fix).toMatch(/run this once with NPM_TOKEN set .* then add the trusted publisher .* and remove the token/);
    expect(npm(GHA, { packageExists: null })).toEqual([]); // unknown (registry not read): the upload says
  });

  it('a workflow file other than the one the docs say to register', () => {
    const env = { ...GHA, GITHUB_WORKFLOW_REF: 'ameideio/ameide/.github/workflows/release.yml@refs/tags/v1.2.3' };
    const f = one(npm(env));
    expect(f.problem).toMatch(/this run is workflow release\.yml, but the trusted publisher to register \(docs\/ci\.md\) is cd-packages\.yml/);
    expect(f.fix).toMatch(/publish from \.github\/workflows\/cd-packages\.yml .* or register release\.yml .* and set AMEIDE_TRUSTED_WORKFLOW=release\.yml/);
    expect(one(modeFindings('pypi', resolveMode('pypi', env), env)).problem).toMatch(/release\.yml/);
    // Registered under another name on purpose, and said so:
    expect(npm({ ...env, AMEIDE_TRUSTED_WORKFLOW: 'release.yml' })).toEqual([]);
    // Without GITHUB_WORKFLOW_REF the registry's view cannot be told: refused too.
    expect(one(npm({ ...GHA, GITHUB_WORKFLOW_REF: '' })).problem).toMatch(/GITHUB_WORKFLOW_REF is not set/);
  });

  it('collects every problem at once', () => {
    const env = { ...GHA, GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/x.yml@refs/heads/main' };
    expect(npm(env, { npmVersion: '10.9.2', packageExists: false }).map((f) => f.problem.split(' ')[0])).toEqual(['trusted', 'trusted', '@fx/sdk']);
  });

  it('never prints a value, only variable names', () => {
    const all = JSON.stringify([npm(GHA, { npmVersion: '1.0.0', packageExists: false }), npm({ GITHUB_ACTIONS: 'true' })]);
    expect(all).not.toContain('request-token-value');
  });
});
