import { destinationsMetadata, goRemoteFromModule, githubOwner, pickKinds, resolveDestinations, type DestinationsConfig, type ResolveInput } from '.';

const facts = (over: Partial<ResolveInput['facts']> = {}): ResolveInput['facts'] => ({ project: 'sdk', projectFile: 'packages/sdk/project.json', ...over });
const ws = (d: DestinationsConfig) => d;

type Row = [
  name: string,
  input: Omit<ResolveInput, 'facts'> & { facts?: Partial<ResolveInput['facts']> },
  expected: { destinations?: Record<string, unknown>; from?: Record<string, string>; refused?: { key: string; what: RegExp; fix?: RegExp }; only?: boolean },
];

const rows: Row[] = [
  // Public registries are the only defaults.
  [
    'npm with nothing configured goes to the public npm registry, with no scope and npm deciding access',
    { ecosystem: 'npm', env: {}, facts: { packageName: '@acme/a', repositoryUrl: 'git+https://github.com/acme/mono.git' } },
    { destinations: { npm: { registry: 'https://registry.npmjs.org/' } }, from: { 'npm.registry': 'default: public npm registry' } },
  ],
  [
    'PyPI with nothing configured uploads to and looks up on public PyPI',
    { ecosystem: 'pypi', env: {}, facts: { repositoryUrl: 'acme/mono' } },
    { destinations: { pypi: { uploadUrl: 'https://upload.pypi.org/legacy/', indexUrl: 'https://pypi.org/simple/' } } },
  ],
  // Precedence: environment > project > nx.json > derived/default.
  [
    'nx.json sets the registry for every project, with the trailing slash added',
    { ecosystem: 'npm', workspace: ws({ npm: { registry: 'https://npm.acme.dev' } }), env: {} },
    { destinations: { npm: { registry: 'https://npm.acme.dev/' } }, from: { 'npm.registry': 'nx.json' } },
  ],
  [
    'the project overrides nx.json',
    { ecosystem: 'npm', workspace: ws({ npm: { registry: 'https://npm.acme.dev/' } }), project: ws({ npm: { registry: 'https://other.acme.dev/' } }), env: {} },
    { destinations: { npm: { registry: 'https://other.acme.dev/' } }, from: { 'npm.registry': 'project' } },
  ],
  [
    'an AMEIDE_* variable overrides the project and nx.json (CI, the sandbox)',
    { ecosystem: 'npm', workspace: ws({ npm: { registry: 'https://npm.acme.dev/' } }), project: ws({ npm: { registry: 'https://other.acme.dev/' } }), env: { AMEIDE_NPM_REGISTRY: 'http://127.0.0.1:4873' } },
    { destinations: { npm: { registry: 'http://127.0.0.1:4873/' } }, from: { 'npm.registry': 'AMEIDE_NPM_REGISTRY' } },
  ],
  [
    'an empty variable counts as unset',
    { ecosystem: 'npm', workspace: ws({ npm: { registry: 'https://npm.acme.dev/' } }), env: { AMEIDE_NPM_REGISTRY: '' } },
    { destinations: { npm: { registry: 'https://npm.acme.dev/' } } },
  ],
  // npm scope and access.
  [
    'a package inside the configured scope passes, the scope written without @ is normalised, access is passed on',
    { ecosystem: 'npm', workspace: ws({ npm: { scope: 'acme', access: 'public' } }), env: {}, facts: { packageName: '@acme/sdk' } },
    { destinations: { npm: { registry: 'https://registry.npmjs.org/', scope: '@acme', access: 'public' } } },
  ],
  [
    'a package of another scope is refused, naming the nx.json key, the project key and the variable',
    { ecosystem: 'npm', workspace: ws({ npm: { scope: '@acme' } }), env: {}, facts: { packageName: '@ameideio/sdk' } },
    { refused: { key: 'npm.scope', what: /@ameideio\/sdk is outside the scope @acme/, fix: /"destinations": \{ "npm": \{ "scope": "@ameideio" \} \}[\s\S]*nx\.json[\s\S]*"metadata": \{ "nx-ameide-release"[\s\S]*packages\/sdk\/project\.json[\s\S]*AMEIDE_NPM_SCOPE/ } },
  ],
  [
    'an unscoped package is refused when a scope is configured',
    { ecosystem: 'npm', env: { AMEIDE_NPM_SCOPE: '@acme' }, facts: { packageName: 'left-pad' } },
    { refused: { key: 'npm.scope', what: /left-pad is outside the scope @acme/ } },
  ],
  [
    'an access other than public/restricted is refused with its variable',
    { ecosystem: 'npm', workspace: ws({ npm: { access: 'everyone' } }), env: {} },
    { refused: { key: 'npm.access', what: /destinations\.npm\.access in nx\.json = "everyone" is neither/, fix: /AMEIDE_NPM_ACCESS/ } },
  ],
  [
    'a registry that is not an http(s) URL is refused, naming the variable it came from',
    { ecosystem: 'npm', env: { AMEIDE_NPM_REGISTRY: 'registry.npmjs.org' } },
    { refused: { key: 'npm.registry', what: /AMEIDE_NPM_REGISTRY = "registry\.npmjs\.org" is not an http\(s\) URL/ } },
  ],
  // PyPI upload and index agree.
  [
    'a private upload URL with the public index is refused: lookups would ask another index',
    { ecosystem: 'pypi', env: { AMEIDE_PYPI_UPLOAD_URL: 'https://pypi.acme.dev/' } },
    { refused: { key: 'pypi.indexUrl', what: /uploadUrl is set \(from AMEIDE_PYPI_UPLOAD_URL\) but pypi\.indexUrl is public PyPI's default/, fix: /"indexUrl"[\s\S]*AMEIDE_PYPI_INDEX_URL/ } },
  ],
  [
    'a private upload URL and index go together',
    { ecosystem: 'pypi', env: {}, workspace: ws({ pypi: { uploadUrl: 'https://pypi.acme.dev/', indexUrl: 'https://pypi.acme.dev/simple' } }), facts: { repositoryUrl: 'acme/x' } },
    { destinations: { pypi: { uploadUrl: 'https://pypi.acme.dev/', indexUrl: 'https://pypi.acme.dev/simple/' } } },
  ],
  // Go: derived from the module path, never a company default.
  [
    'the Go remote is derived from a github.com module path',
    { ecosystem: 'go', env: {}, facts: { goModule: 'github.com/acme/foo-go' } },
    { destinations: { go: { remote: 'https://github.com/acme/foo-go', branch: 'main' } }, from: { 'go.remote': 'go.mod module path', 'go.branch': 'default: branch main' } },
  ],
  [
    'a /vN major suffix is not part of the repository',
    { ecosystem: 'go', env: {}, facts: { goModule: 'gitlab.com/acme/foo-go/v3' } },
    { destinations: { go: { remote: 'https://gitlab.com/acme/foo-go', branch: 'main' } } },
  ],
  [
    'a Go module on a host whose paths do not name a repository is refused, naming the option',
    { ecosystem: 'go', env: {}, facts: { goModule: 'go.acme.dev/sdk', projectFile: 'packages/sdk/project.json' } },
    { refused: { key: 'go.remote', what: /module go\.acme\.dev\/sdk is on go\.acme\.dev/, fix: /"destinations": \{ "go": \{ "remote": [\s\S]*packages\/sdk\/project\.json[\s\S]*AMEIDE_GO_REMOTE/ } },
  ],
  [
    'a module in a subdirectory of a repository is refused: the mirror puts it at a repository root',
    { ecosystem: 'go', env: {}, facts: { goModule: 'github.com/acme/mono/sdk/go' } },
    { refused: { key: 'go.remote', what: /not host\/owner\/repo/ } },
  ],
  [
    'a configured remote needs no derivation (any host, a local path for tests)',
    { ecosystem: 'go', project: ws({ go: { remote: '/srv/git/sdk.git', branch: 'release' } }), env: {}, facts: { goModule: 'go.acme.dev/sdk' } },
    { destinations: { go: { remote: '/srv/git/sdk.git', branch: 'release' } }, from: { 'go.remote': 'project', 'go.branch': 'project' } },
  ],
  [
    'AMEIDE_GO_REMOTE still overrides everything',
    { ecosystem: 'go', env: { AMEIDE_GO_REMOTE: 'https://git.acme.dev/sdk.git', AMEIDE_GO_BRANCH: 'trunk' }, facts: { goModule: 'github.com/acme/foo-go' } },
    { destinations: { go: { remote: 'https://git.acme.dev/sdk.git', branch: 'trunk' } } },
  ],
  // OCI: ghcr.io by default, the namespace derived from the repository owner, else refused.
  [
    'the GHCR namespace comes from the root package.json repository, in lower case',
    { ecosystem: 'npm', env: {}, facts: { repositoryUrl: 'git+https://github.com/Acme-Corp/mono.git' } },
    { destinations: { oci: { registry: 'ghcr.io', namespace: 'acme-corp' } }, from: { 'oci.namespace': 'root package.json repository (GitHub owner)' } },
  ],
  [
    'in GitHub Actions without a repository field, GITHUB_REPOSITORY_OWNER gives the namespace',
    { ecosystem: 'pypi', env: { GITHUB_REPOSITORY_OWNER: 'Acme' } },
    { destinations: { oci: { registry: 'ghcr.io', namespace: 'acme' } }, from: { 'oci.namespace': 'GITHUB_REPOSITORY_OWNER' } },
  ],
  [
    'with no repository and outside Actions the namespace is refused, naming the option and the variable',
    { ecosystem: 'npm', env: {}, facts: { projectFile: 'packages/cfg/package.json' } },
    { refused: { key: 'oci.namespace', what: /namespace on ghcr\.io cannot be derived/, fix: /"nx": \{ "metadata": \{ "nx-ameide-release": \{ "destinations": \{ "oci": \{ "namespace"[\s\S]*packages\/cfg\/package\.json[\s\S]*AMEIDE_OCI_NAMESPACE/ } },
  ],
  [
    'a repository on another host gives no GHCR namespace',
    { ecosystem: 'npm', env: {}, facts: { repositoryUrl: 'https://gitlab.com/acme/mono.git' } },
    { refused: { key: 'oci.namespace', what: /cannot be derived/ } },
  ],
  [
    'on another registry the namespace is never derived (it is not a GitHub owner there)',
    { ecosystem: 'npm', workspace: ws({ oci: { registry: 'registry.acme.dev:5000' } }), env: { GITHUB_REPOSITORY_OWNER: 'acme' }, facts: { repositoryUrl: 'acme/mono' } },
    { refused: { key: 'oci.namespace', what: /registry is registry\.acme\.dev:5000, whose namespace cannot be derived/ } },
  ],
  [
    'a configured namespace wins over the derived one; the sandbox variables win over both',
    { ecosystem: 'go', workspace: ws({ oci: { namespace: 'platform' } }), env: { AMEIDE_OCI_REGISTRY: '127.0.0.1:5000', AMEIDE_OCI_NAMESPACE: 'ameideio' }, facts: { goModule: 'github.com/acme/x', repositoryUrl: 'acme/x' } },
    { destinations: { oci: { registry: '127.0.0.1:5000', namespace: 'ameideio' } }, from: { 'oci.registry': 'AMEIDE_OCI_REGISTRY', 'oci.namespace': 'AMEIDE_OCI_NAMESPACE' } },
  ],
  [
    'an upper-case namespace is refused (registries want lower case)',
    { ecosystem: 'npm', workspace: ws({ oci: { namespace: 'Acme' } }), env: {} },
    { refused: { key: 'oci.namespace', what: /"Acme" is not a lower-case registry namespace/ } },
  ],
  [
    'an OCI registry with a scheme is refused',
    { ecosystem: 'npm', env: { AMEIDE_OCI_REGISTRY: 'https://ghcr.io', AMEIDE_OCI_NAMESPACE: 'acme' } },
    { refused: { key: 'oci.registry', what: /not host\[:port\]/ } },
  ],
  [
    'a refused registry is the only refusal: no second one about its namespace',
    { ecosystem: 'npm', env: { AMEIDE_OCI_REGISTRY: 'https://ghcr.io' } },
    { refused: { key: 'oci.registry', what: /not host\[:port\]/ }, only: true },
  ],
  // Typos never fall back to a default.
  [
    'an unknown setting is refused instead of silently using the default',
    { ecosystem: 'npm', workspace: { oci: { namepsace: 'acme' } }, env: {}, facts: { repositoryUrl: 'acme/x' } },
    { refused: { key: 'oci.namepsace', what: /destinations\.oci\.namepsace in nx\.json is not a setting \(known: registry, namespace\)/ } },
  ],
  [
    'destinations that are not an object block every kind',
    { ecosystem: 'pypi', workspace: 'ghcr.io/acme', env: {} },
    { refused: { key: 'destinations', what: /destinations in nx\.json is not an object/ } },
  ],
];

describe('resolveDestinations', () => {
  it.each(rows)('%s', (_name, input, expected) => {
    const res = resolveDestinations({ ...input, facts: facts(input.facts) });
    if (expected.refused) {
      const r = res.refusals.find((x) => x.key === expected.refused!.key);
      expect(r).toBeDefined();
      expect(r!.what).toMatch(expected.refused.what);
      if (expected.refused.fix) expect(r!.fix).toMatch(expected.refused.fix);
      const kind = expected.refused.key.split('.')[0];
      if (kind !== 'destinations') expect(res.destinations[kind as 'npm']).toBeUndefined();
      if (expected.only) expect(res.refusals.map((x) => x.key)).toEqual([expected.refused.key]);
    } else {
      expect(res.refusals.filter((r) => Object.keys(expected.destinations ?? {}).includes(r.kind ?? ''))).toEqual([]);
    }
    if (expected.destinations) for (const [k, v] of Object.entries(expected.destinations)) expect(res.destinations[k as 'npm']).toEqual(v);
    if (expected.from) expect(res.from).toMatchObject(expected.from);
  });

  it('a malformed npm setting is not the problem of a Go project', () => {
    const res = resolveDestinations({ ecosystem: 'go', workspace: { npm: { acess: 'public' } }, env: {}, facts: facts({ goModule: 'github.com/acme/x', repositoryUrl: 'acme/x' }) });
    expect(res.refusals).toEqual([]);
    expect(res.destinations).toEqual({ go: { remote: 'https://github.com/acme/x', branch: 'main' }, oci: { registry: 'ghcr.io', namespace: 'acme' } });
  });

  it('no company name is a default: with nothing configured, nothing resolves to ameideio', () => {
    for (const ecosystem of ['npm', 'pypi', 'go'] as const) {
      const res = resolveDestinations({ ecosystem, env: {}, facts: facts({ goModule: 'go.example.dev/m' }) });
      expect(JSON.stringify(res.destinations)).not.toMatch(/ameide/i);
    }
  });
});

describe('derivations', () => {
  it.each([
    ['github.com/acme/foo-go', 'https://github.com/acme/foo-go'],
    ['github.com/acme/foo-go/v2', 'https://github.com/acme/foo-go'],
    ['bitbucket.org/acme/foo', 'https://bitbucket.org/acme/foo'],
  ])('Go module %s lives in %s', (mod, remote) => {
    expect(goRemoteFromModule(mod)).toEqual({ value: remote, from: 'go.mod module path' });
  });

  it.each([
    ['npm long form', 'git+https://github.com/acme/x.git', 'acme'],
    ['ssh url', 'git+ssh://git@github.com/acme/x.git', 'acme'],
    ['scp form', 'git@github.com:acme/x.git', 'acme'],
    ['github: shorthand', 'github:acme/x', 'acme'],
    ['owner/repo shorthand', 'acme/x', 'acme'],
    ['another host', 'https://gitlab.com/acme/x', undefined],
    ['nothing', undefined, undefined],
  ])('the GitHub owner of a %s', (_n, url, owner) => {
    expect(githubOwner(url)).toBe(owner);
  });
});

describe('what the graph shows', () => {
  it('metadata holds the resolved destinations of the target, where each came from, and what is refused; credentials in a URL are masked', () => {
    const res = resolveDestinations({
      ecosystem: 'go',
      project: { go: { remote: 'https://bot:s3cret@git.acme.dev/sdk.git' } },
      env: {},
      facts: facts({ goModule: 'go.acme.dev/sdk' }),
    });
    expect(destinationsMetadata(res, ['go'])).toEqual({
      destinations: { go: { remote: 'https://***@git.acme.dev/sdk.git', branch: 'main' } },
      destinationsFrom: { 'go.remote': 'project', 'go.branch': 'default: branch main' },
    });
    const oci = destinationsMetadata(res, ['oci']);
    expect(oci.destinations).toEqual({ oci: { registry: 'ghcr.io' } });
    expect(oci.destinationsRefused).toEqual([expect.stringMatching(/namespace on ghcr\.io cannot be derived[\s\S]*fix: [\s\S]*AMEIDE_OCI_NAMESPACE/)]);
  });

  it('a target gets the configuration of its own kinds, and anything malformed', () => {
    expect(pickKinds({ npm: { scope: '@a' }, oci: { namespace: 'a' }, docker: {} }, ['oci'])).toEqual({ oci: { namespace: 'a' }, docker: {} });
    expect(pickKinds('x', ['oci'])).toBe('x');
  });
});
