'use strict';
/**
 * Every external program (and Python package) that the tests, the sandbox and the plugin's targets
 * call, where each is looked for, and how tools/setup.sh (or the machine) provides it.
 *
 * The set-up's last step (`node tools/check-programs.js`) checks all of them and fails naming what is
 * missing and how to install it, so a missing one is one clear line at set-up time, not a test that
 * fails 20 minutes later. Two sources feed the check, so a new dependency cannot slip past it:
 *   - PROGRAMS below: what the tests, fixtures and the sandbox spawn;
 *   - the plugin's own tool table (src/tools.ts TOOLS), read from the compiled plugin: every tool
 *     there is required unless PLUGIN_TOOLS_OPTIONAL says why a test machine may lack it.
 * packages/nx-ameide-release/tests/setup/programs.spec.ts scans the code for spawned program names
 * and fails when one is in neither list.
 *
 * `find` (in order, first hit wins):
 *   path       on PATH
 *   sbin       /usr/sbin, /sbin (Debian puts daemons there, outside a user's PATH)
 *   venv       <root>/.venv/bin
 *   goBin      $(go env GOPATH)/bin, where `go install` puts binaries
 *   nodeBin    <root>/node_modules/.bin
 *   nodeDir    the folder of the running node (npm -g puts binaries there)
 * `python: '<module>'` checks that the venv's python imports that module.
 */
const { accessSync, constants, statSync } = require('node:fs');
const { delimiter, dirname, isAbsolute, join } = require('node:path');
const { spawnSync } = require('node:child_process');

const SETUP = 'bash tools/setup.sh';

/** @type {{name: string, find?: string[], python?: string, install: string, usedBy: string}[]} */
const PROGRAMS = [
  // The machine's own (Debian 12 base, node, go, python3): the set-up does not install them.
  { name: 'git', find: ['path'], install: 'apt-get install git', usedBy: 'everything: the version context, the Go mirror, the e2e workspaces' },
  { name: 'tar', find: ['path'], install: 'apt-get install tar', usedBy: 'the e2e and integration tests (unpacking tarballs)' },
  { name: 'sh', find: ['path'], install: 'apt-get install dash', usedBy: 'tools/lint-workflows.js (command -v)' },
  { name: 'bash', find: ['path'], install: 'apt-get install bash', usedBy: 'the workflow tests (run: scripts of the generated workflow)' },
  { name: 'cp', find: ['path'], install: 'apt-get install coreutils', usedBy: 'the Go tests (a copy of the module)' },
  { name: 'cat', find: ['path'], install: 'apt-get install coreutils', usedBy: 'the npm pack tests (a build script)' },
  { name: 'openssl', find: ['path'], install: 'apt-get install openssl', usedBy: 'the OCI token-server fixture (key pair for the token auth)' },
  { name: 'mount', find: ['path', 'sbin'], install: 'apt-get install mount', usedBy: 'the bad-input drills (a full tmpfs)' },
  { name: 'umount', find: ['path', 'sbin'], install: 'apt-get install mount', usedBy: 'the bad-input drills (a full tmpfs)' },
  { name: 'go', find: ['path'], install: 'install Go >= 1.22 (go.dev/dl) and put it on PATH', usedBy: 'go test, the Go SDK smoke, go install of cosign/actionlint' },
  // Debian packages: the set-up's apt step.
  { name: 'curl', find: ['path'], install: `${SETUP} (apt step: curl)`, usedBy: 'tools/sandbox/selftest.sh' },
  { name: 'docker-registry', find: ['path'], install: `${SETUP} (apt step: docker-registry)`, usedBy: 'the OCI registries of the sandbox and the OCI tests' },
  { name: 'skopeo', find: ['path'], install: `${SETUP} (apt step: skopeo)`, usedBy: 'the OCI tests and the e2e image checks' },
  { name: 'shellcheck', find: ['path'], install: `${SETUP} (apt step: shellcheck)`, usedBy: 'actionlint, for the workflow run: scripts' },
  { name: 'etcd', find: ['path'], install: `${SETUP} (apt step: etcd-server)`, usedBy: "the sandbox's Kubernetes API (kube-apiserver's store) for the argocd handoff tests" },
  { name: 'nginx', find: ['path', 'sbin'], install: `${SETUP} (apt step: nginx-core)`, usedBy: "the sandbox's Nx remote cache" },
  // The workspace venv: the set-up's python venv step.
  { name: 'python', find: ['venv'], install: `${SETUP} (python venv step; on Debian apt-get install python3-venv)`, usedBy: 'pytest, tools/sandbox/htpasswd.py' },
  { name: 'pypi-server', find: ['venv'], install: `${SETUP} (python venv step: pypiserver)`, usedBy: "the sandbox's PyPI" },
  { name: 'bcrypt', python: 'bcrypt', install: `${SETUP} (python venv step: bcrypt, pinned in VENV_EXTRAS)`, usedBy: 'the bcrypt htpasswd lines of docker-registry (tools/sandbox/htpasswd.py: the sandbox and the OCI test fixtures)' },
  { name: 'passlib', python: 'passlib', install: `${SETUP} (python venv step: passlib)`, usedBy: "the apr1 htpasswd line of the sandbox's pypiserver" },
  { name: 'hatchling', python: 'hatchling', install: `${SETUP} (python venv step: hatchling)`, usedBy: 'the PyPI packs (build backend)' },
  { name: 'pytest', python: 'pytest', install: `${SETUP} (python venv step: tools/requirements-dev.txt)`, usedBy: 'the Python SDK tests' },
  // go install: the set-up's cosign and actionlint steps.
  { name: 'cosign-v2', find: ['goBin'], install: `${SETUP} (cosign-v2 step: cosign v2.4.1 kept beside v3)`, usedBy: 'the signing tests: images signed by v2 still verify' },
  { name: 'registry', find: ['goBin'], install: `${SETUP} (go install github.com/distribution/distribution/v3/cmd/registry)`, usedBy: 'the sandbox and signing tests: a distribution v3 registry beside docker-registry 2.8' },
  { name: 'ameide-referrers-registry', find: ['goBin'], install: `${SETUP} (referrers registry step: tools/sandbox/referrers-registry)`, usedBy: 'the sandbox and signing tests: a registry with the OCI 1.1 referrers API' },
  { name: 'fulcio', find: ['goBin'], install: `${SETUP} (go install github.com/sigstore/fulcio)`, usedBy: 'keyless signing in the sandbox and the signing tests (a file CA)' },
  { name: 'kube-apiserver', find: ['goBin'], install: `${SETUP} (kube-apiserver step: built from the Go module proxy, tools/sandbox/kube-module.js)`, usedBy: 'the argocd handoff tests and the sandbox (a real Kubernetes API with the Argo CD CRD)' },
  { name: 'actionlint', find: ['path', 'goBin'], install: `${SETUP} (go install github.com/rhysd/actionlint/cmd/actionlint)`, usedBy: 'tools/lint-workflows.js' },
  // node_modules (pnpm install) and npm -g.
  { name: 'verdaccio', find: ['nodeBin'], install: `${SETUP} (pnpm install)`, usedBy: "the sandbox's npm registry" },
  { name: 'nx', find: ['nodeBin'], install: `${SETUP} (pnpm install)`, usedBy: 'the e2e tests and the benchmarks' },
  { name: 'jest', find: ['nodeBin'], install: `${SETUP} (pnpm install)`, usedBy: 'tools/test-all.sh' },
  { name: 'tsc', find: ['nodeBin'], install: `${SETUP} (pnpm install)`, usedBy: 'the plugin build, the npm packs (npx --no-install tsc)' },
  { name: 'npx', find: ['path', 'nodeDir'], install: 'npx comes with Node.js', usedBy: 'the npm packs of projects without an Nx build' },
];

/** Tools of the plugin's table (src/tools.ts) that a test machine may lack, and why. Every other one is required. */
const PLUGIN_TOOLS_OPTIONAL = {
  yarn: 'only for workspaces that use yarn; no test installs with it',
  bun: 'only for workspaces that use bun; no test installs with it',
  twine: 'a fallback; uv publishes (twine is installed by the venv step anyway)',
};

/** Names in spawn calls that are not programs to install (test placeholders). */
const NOT_PROGRAMS = {
  'definitely-not-installed-xyz': 'exec.spec.ts: the runner reports a missing program',
};

function isExecutableFile(p) {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goBinDir(env) {
  if (env.GOBIN) return env.GOBIN;
  const r = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8', env });
  const gopath = r.status === 0 ? r.stdout.trim().split(delimiter)[0] : '';
  return gopath ? join(gopath, 'bin') : null;
}

function dirsFor(place, { root, env }) {
  switch (place) {
    case 'path':
      return (env.PATH || '').split(delimiter).filter((d) => d && isAbsolute(d));
    case 'sbin':
      return ['/usr/local/sbin', '/usr/sbin', '/sbin'];
    case 'venv':
      return [join(root, '.venv', 'bin')];
    case 'goBin': {
      const d = goBinDir(env);
      return d ? [d] : [];
    }
    case 'nodeBin':
      return [join(root, 'node_modules', '.bin')];
    case 'nodeDir':
      return [dirname(process.execPath)];
    default:
      throw new Error(`tools/programs.js: unknown place ${place}`);
  }
}

/** Where `entry` is, or null. */
function locate(entry, ctx) {
  for (const place of entry.find) {
    for (const dir of dirsFor(place, ctx)) {
      const p = join(dir, entry.name);
      if (isExecutableFile(p)) return p;
    }
  }
  return null;
}

/** The plugin's tool table, from the compiled plugin (the same code the targets run). */
function pluginTools(root) {
  // eslint-disable-next-line global-require
  const compiled = require(join(root, 'packages/nx-ameide-release/bin/compiled.js'));
  return compiled.load('src/tools');
}

/**
 * Every problem: `{ name, problem, fix, usedBy }`. [] when everything the tests, the sandbox and the
 * targets call is there. `env` is the environment the tests will run with (PATH with the go bin).
 */
function checkPrograms({ root, env = process.env, programs = PROGRAMS, tools = pluginTools(root) } = {}) {
  const ctx = { root, env };
  const problems = [];
  const venvPython = join(root, '.venv', 'bin', 'python');
  for (const entry of programs) {
    if (entry.python) {
      const r = isExecutableFile(venvPython) ? spawnSync(venvPython, ['-c', `import ${entry.python}`], { encoding: 'utf8' }) : null;
      if (!r || r.status !== 0) {
        problems.push({ name: entry.name, problem: `the Python package ${entry.python} does not import in ${venvPython}`, fix: entry.install, usedBy: entry.usedBy });
      }
      continue;
    }
    if (!locate(entry, ctx)) {
      const where = entry.find.join(', ');
      problems.push({ name: entry.name, problem: `${entry.name} is not found (looked in: ${where})`, fix: entry.install, usedBy: entry.usedBy });
    }
  }
  for (const name of Object.keys(tools.TOOLS)) {
    if (PLUGIN_TOOLS_OPTIONAL[name]) continue;
    let found = null;
    let problem = `${name} is not found where the plugin looks for it`;
    try {
      found = tools.tryFindTool(name, env, root);
    } catch (err) {
      problem = err.message;
    }
    if (!found) problems.push({ name, problem, fix: tools.TOOLS[name].install, usedBy: "the plugin's targets (src/tools.ts)" });
  }
  return problems;
}

module.exports = { PROGRAMS, PLUGIN_TOOLS_OPTIONAL, NOT_PROGRAMS, checkPrograms, locate };
