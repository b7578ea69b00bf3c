import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { logger } from '@nx/devkit';
import { FsTree } from 'nx/src/generators/tree';
import { computeContext } from '../../version/compute';
import type { GitFacts } from '../../version/facts';
import initGenerator, { WORKFLOW_PATH, WORKFLOW_TOOLS } from './generator';
import { renderWorkflowVariants, type WorkflowVariant } from './testing/variants';

// The plugin never parses YAML; this test reads the workflow with the `yaml` package nx depends on.
const YAML: { parse(text: string): any } = require(require.resolve('yaml', { paths: [dirname(require.resolve('nx/package.json'))] }));

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const committedText = readFileSync(join(ROOT, WORKFLOW_PATH), 'utf8');
const wf = YAML.parse(committedText);

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
const steps = (job: string): Step[] => wf.jobs[job].steps;
const runsNx = (s: Step) => / nx /.test(s.run ?? '');
/** `affected` asks the registries what the dev channel holds (private ones need the tokens to read). */
const readsRegistries = (s: Step) => /nx-ameide-release affected /.test(s.run ?? '');

beforeEach(() => jest.spyOn(logger, 'info').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

describe('the committed workflow', () => {
  it('is exactly what init writes for this workspace (regenerate: nx g @ameideio/nx-ameide-release:init --overwriteWorkflow)', async () => {
    const tree = new FsTree(ROOT, false);
    await initGenerator(tree, { overwriteWorkflow: true });
    // This workspace is in init's state already: nothing but the workflow is (re)written.
    expect(tree.listChanges().map((c) => c.path).filter((p) => p !== WORKFLOW_PATH)).toEqual([]);
    const generated = tree.read(WORKFLOW_PATH, 'utf8')!;
    const a = generated.split('\n');
    const b = committedText.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    expect({ firstDifferentLine: line < 0 && a.length === b.length ? null : line + 1, generated: a[line], committed: b[line] }).toEqual({
      firstDifferentLine: null,
      generated: undefined,
      committed: undefined,
    });
    expect(Buffer.from(generated)).toEqual(Buffer.from(committedText));
  });
});

/** GitHub's branch/tag filter pattern syntax (*, **, +, ?, [..]) as a RegExp. */
function filterPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      re += pattern.slice(i, end + 1);
      i = end;
    } else if (c === '+' || c === '?') re += c;
    else re += c.replace(/[.\\^$|(){}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
const pushTagTriggers = (tag: string) => (wf.on.push.tags as string[]).some((p) => filterPattern(p).test(tag));

describe('triggers and channels', () => {
  it('runs on pull requests, on pushes to main, and on every tag that could be meant as a release', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push']);
    expect(wf.on.pull_request).toBeNull(); // every pull request, whatever its base
    expect(wf.on.push.branches).toEqual(['main']);
    for (const tag of ['v1.2.3', 'v10.20.30', 'v1.2.3-rc.1']) expect([tag, pushTagTriggers(tag)]).toEqual([tag, true]);
    // Lookalikes reach the context job, which refuses them with the expected form: never a silent no-op.
    for (const tag of ['1.2.3', 'v1.2', 'V1.2.3', 'v1.2.3.4', 'v01.2.3']) expect([tag, pushTagTriggers(tag)]).toEqual([tag, true]);
    for (const tag of ['docs-2024', 'release']) expect([tag, pushTagTriggers(tag)]).toEqual([tag, false]);
  });

  const facts = (over: Partial<GitFacts>): GitFacts => ({
    headSha: '71e210beab37b68546d56dceccba18f09264ecc3',
    commitTime: '2025-11-13T15:32:11Z',
    reachableTags: ['v0.1.0'],
    allTags: ['v0.1.0'],
    tagsAtHead: [],
    dirty: false,
    dirtyPaths: [],
    shallow: false,
    branch: null,
    ...over,
  });

  /** The job-level `if:` of a job, evaluated for one channel (the only context it reads). */
  function jobRuns(job: string, channel: string): boolean {
    const expr: string | undefined = wf.jobs[job].if;
    if (expr === undefined) return true;
    const js = expr.replace(/needs\.context\.outputs\.CHANNEL/g, JSON.stringify(channel)).replace(/([!=])=/g, '$1==');
    if (!/^[\s"'\w|&!=()]+$/.test(js)) throw new Error(`cannot evaluate ${expr}`);
    return Function(`return (${js});`)();
  }

  /** Runs a step's script as GitHub does (bash -eo pipefail), pnpm replaced by a recorder on PATH. */
  function commandsOf(script: string, env: Record<string, string>): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'ameide-wf-'));
    try {
      writeFileSync(join(dir, 'pnpm'), '#!/bin/sh\necho "pnpm $*" >> "$RECORD"\n');
      chmodSync(join(dir, 'pnpm'), 0o755);
      writeFileSync(join(dir, 'record'), '');
      execFileSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        env: { PATH: `${dir}:/usr/bin:/bin`, RECORD: join(dir, 'record'), RUNNER_TEMP: dir, ...env },
      });
      return readFileSync(join(dir, 'record'), 'utf8').split('\n').filter(Boolean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const stepNamed = (job: string, prefix: string) => steps(job).find((s) => s.name?.startsWith(prefix))!;
  /** The publish job's nx commands, with PROJECTS as `affected --format github` wrote it. */
  const publishCommands = (channel: string, projects: string) =>
    ['dry run', 'publish packages', 'smoke'].flatMap((n) => {
      const step = stepNamed('publish', n);
      expect([n, step.env?.PROJECTS]).toEqual([n, '${{ steps.affected.outputs.projects }}']);
      return commandsOf(step.run!, { ...wf.jobs.publish.env, CHANNEL: channel, PROJECTS: projects });
    });

  it.each([
    {
      event: 'pull request',
      ref: 'refs/pull/7/merge',
      facts: facts({}),
      channel: 'build',
      verify: ['pnpm exec nx affected -t lint test pack'],
      projects: '',
      publish: null,
    },
    {
      event: 'push to main',
      ref: 'refs/heads/main',
      facts: facts({ branch: 'main' }),
      channel: 'dev',
      verify: ['pnpm exec nx affected -t lint test pack'],
      projects: 'ameide_sdk_python,configuration',
      publish: [
        'pnpm exec nx run-many -t publish ghcr --dry-run --projects=ameide_sdk_python,configuration',
        'pnpm exec nx run-many -t publish ghcr --projects=ameide_sdk_python,configuration',
        'pnpm exec nx run-many -t smoke --exclude-task-dependencies --projects=ameide_sdk_python,configuration',
      ],
    },
    {
      event: 'push to main that changed no release project since the dev channel\'s last publish',
      ref: 'refs/heads/main',
      facts: facts({ branch: 'main' }),
      channel: 'dev',
      verify: ['pnpm exec nx affected -t lint test pack'],
      projects: '',
      publish: [],
    },
    {
      event: 'push of tag v0.1.0',
      ref: 'refs/tags/v0.1.0',
      facts: facts({ tagsAtHead: ['v0.1.0'] }),
      channel: 'release',
      verify: ['pnpm exec nx run-many -t lint test pack'],
      projects: 'ameide_sdk_go,ameide_sdk_python,ameide_sdk_ts,configuration,nx-ameide-release',
      publish: ['pnpm exec nx run-many -t publish ghcr --dry-run', 'pnpm exec nx run-many -t publish ghcr', 'pnpm exec nx run-many -t smoke --exclude-task-dependencies'],
    },
  ])('$event ($ref): $channel channel', ({ ref, facts: f, channel, verify, projects, publish }) => {
    // GITHUB_REF as GitHub sets it for the event, classified by the plugin's own version model.
    expect(computeContext(f, ref).CHANNEL).toBe(channel);
    expect(jobRuns('context', channel)).toBe(true);
    expect(jobRuns('verify', channel)).toBe(true);
    expect(commandsOf(stepNamed('verify', 'lint, test and pack').run!, { CHANNEL: channel })).toEqual(verify);
    expect(jobRuns('publish', channel) ? publishCommands(channel, projects) : null).toEqual(publish);
  });
});

describe('jobs', () => {
  it('context -> verify -> publish -> github-release, each with a timeout', () => {
    expect(Object.keys(wf.jobs)).toEqual(['context', 'verify', 'publish', 'github-release']);
    expect([wf.jobs['github-release'].needs].flat().sort()).toEqual(['context', 'publish']);
    expect(wf.jobs.context.needs).toBeUndefined();
    expect([wf.jobs.verify.needs].flat()).toEqual(['context']);
    expect([wf.jobs.publish.needs].flat().sort()).toEqual(['context', 'verify']);
    for (const [name, job] of Object.entries<any>(wf.jobs)) expect([name, job['timeout-minutes'] > 0]).toEqual([name, true]);
  });

  it('computes the context once and hands it to every later nx step as a file (AMEIDE_CONTEXT_FILE)', () => {
    const computing = Object.entries<any>(wf.jobs).flatMap(([job, j]) =>
      (j.steps as Step[]).filter((s) => s.run?.includes('nx-ameide-release context')).map(() => job),
    );
    expect(computing).toEqual(['context']);
    const ctxSteps = steps('context');
    const compute = ctxSteps.findIndex((s) => s.run?.includes('nx-ameide-release context'));
    // The first command writes the file; the others read it back (AMEIDE_CONTEXT_FILE exported after it).
    expect(ctxSteps[compute].run!.split('\n')[0]).toBe('pnpm exec nx-ameide-release context --format json > "$RUNNER_TEMP/version-context.json"');
    expect(ctxSteps[compute].run!.split('\n')[1]).toBe('export AMEIDE_CONTEXT_FILE="$RUNNER_TEMP/version-context.json"');
    expect(ctxSteps[compute].id).toBe('context');
    expect(wf.jobs.context.outputs).toEqual({ CHANNEL: '${{ steps.context.outputs.CHANNEL }}' });
    const upload = ctxSteps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload).toBeGreaterThan(compute);
    expect(ctxSteps[upload].with).toMatchObject({ name: 'version-context', path: '${{ runner.temp }}/version-context.json' });

    for (const job of ['verify', 'publish']) {
      const s = steps(job);
      const download = s.findIndex((x) => x.uses?.startsWith('actions/download-artifact@'));
      expect(s[download].with).toEqual({ name: 'version-context', path: '${{ runner.temp }}/version-context' });
      const nxSteps = s.map((x, i) => ({ x, i })).filter(({ x }) => runsNx(x));
      expect(nxSteps.length).toBeGreaterThan(0);
      for (const { x, i } of nxSteps) {
        expect([job, x.name, i > download]).toEqual([job, x.name, true]);
        expect([job, x.name, x.env?.AMEIDE_CONTEXT_FILE]).toEqual([job, x.name, '${{ runner.temp }}/version-context/version-context.json']);
      }
    }
  });

  it('publish: dry run, then publish + ghcr, then smoke, then the release record kept as an artifact even after a failure', () => {
    const s = steps('publish');
    const at = (p: (x: Step) => boolean) => s.findIndex(p);
    const dry = at((x) => /-t publish ghcr --dry-run/.test(x.run ?? ''));
    const real = at((x) => /-t publish ghcr$/m.test(x.run ?? ''));
    const smoke = at((x) => /-t smoke --exclude-task-dependencies$/m.test(x.run ?? ''));
    const record = at((x) => !!x.uses?.startsWith('actions/upload-artifact@'));
    // the projects come first: `affected` writes the list (empty: publish nothing) the three nx steps read
    const affected = at((x) => x.run === 'pnpm exec nx-ameide-release affected --format github');
    expect([affected, s[affected]?.id]).toEqual([expect.any(Number), 'affected']);
    expect([affected, dry, real, smoke, record].every((i) => i >= 0)).toBe(true);
    expect(affected < dry && dry < real && real < smoke && smoke < record).toBe(true);
    expect(s[record].if).toBe('always()');
    // the whole of dist/: packed artifacts, manifests, results and dist/release/ (SBOMs, provenance)
    expect(s[record].with!.path).toBe('dist/');
    // dist/release/manifest.json re-aggregated once every task is done, its table in the job summary,
    // before the upload and also after a failure; the summary path comes from the environment.
    const summary = at((x) => /nx-ameide-release manifest --format markdown/.test(x.run ?? ''));
    expect(smoke < summary && summary < record).toBe(true);
    expect(s[summary].if).toBe('always()');
    expect(s[summary].run).toBe('pnpm exec nx-ameide-release manifest --format markdown >> "$GITHUB_STEP_SUMMARY"');
    // Keyless signing needs the OIDC token; images need packages: write. Nothing else is widened.
    expect(wf.jobs.publish.permissions).toEqual({ contents: 'read', packages: 'write', 'id-token': 'write' });
    expect(wf.permissions).toEqual({ contents: 'read', actions: 'read' });
  });

  it('passes secrets only to the nx steps of the publish job, and destinations only as optional vars', () => {
    const allowed = new Set(['NPM_TOKEN', 'PYPI_TOKEN', 'GITHUB_TOKEN', 'COSIGN_KEY', 'COSIGN_PASSWORD']);
    const seen: string[] = [];
    for (const [job, j] of Object.entries<any>(wf.jobs)) {
      (j.steps as Step[]).forEach((s) => {
        const text = JSON.stringify({ ...s, env: undefined });
        expect([job, s.name, /secrets\./.test(text)]).toEqual([job, s.name, false]);
        for (const [k, v] of Object.entries(s.env ?? {})) {
          const m = /^\$\{\{ secrets\.(\w+) \}\}$/.exec(v);
          if (!m) continue;
          expect([job, k, m[1], allowed.has(k), runsNx(s) || readsRegistries(s)]).toEqual([job, k, k, true, true]);
          seen.push(m[1]);
        }
      });
      for (const [k, v] of Object.entries<string>(j.env ?? {})) {
        if (v.includes('vars.')) expect(v).toBe(`\${{ vars.${k} }}`);
        expect(v).not.toContain('secrets.');
      }
    }
    expect(new Set(seen)).toEqual(allowed);
    expect(committedText).not.toMatch(/secrets\.(?!(NPM_TOKEN|PYPI_TOKEN|GITHUB_TOKEN|COSIGN_KEY|COSIGN_PASSWORD)\b)/);
  });

  it('installs the cosign release tools/setup.sh builds', () => {
    const setup = readFileSync(join(ROOT, 'tools', 'setup.sh'), 'utf8');
    expect(/^COSIGN_VERSION=(\S+)$/m.exec(setup)?.[1]).toBe(WORKFLOW_TOOLS.cosign);
    expect(steps('publish').find((s) => s.run?.startsWith('go install github.com/sigstore/cosign/'))!.run).toBe(`go install github.com/sigstore/cosign/v3/cmd/cosign@${WORKFLOW_TOOLS.cosign}`);
  });

  it('installs the cdxgen tools/setup.sh installs, before the images are pushed', () => {
    const setup = readFileSync(join(ROOT, 'tools', 'setup.sh'), 'utf8');
    expect(/^CDXGEN_VERSION=(\S+)$/m.exec(setup)?.[1]).toBe(WORKFLOW_TOOLS.cdxgen);
    const s = steps('publish');
    const install = s.findIndex((x) => x.run === `npm install -g --omit=optional --no-audit --no-fund @cyclonedx/cdxgen@${WORKFLOW_TOOLS.cdxgen}`);
    const publish = s.findIndex((x) => /-t publish ghcr$/m.test(x.run ?? ''));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(publish);
  });
});

describe('the github-release job', () => {
  const job = () => wf.jobs['github-release'];
  const named = (prefix: string) => (job().steps as Step[]).find((s) => s.name?.startsWith(prefix))!;

  it('runs only on the release channel, after publish, with contents: write and no secret', () => {
    expect(job().if).toBe("needs.context.outputs.CHANNEL == 'release'");
    expect(job().permissions).toEqual({ contents: 'write' });
    expect(JSON.stringify(job())).not.toContain('secrets.');
    const checkout = (job().steps as Step[]).find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    const download = (job().steps as Step[]).find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with).toEqual({ name: 'release-record-release', path: 'dist' });
  });

  it('writes the notes of the pushed tag with nx-ameide-release notes, the tag passed through env', () => {
    const notes = named('release notes');
    expect(notes.env).toEqual({ RELEASE_TAG: '${{ github.ref_name }}' });
    expect(notes.run).toBe('pnpm exec nx-ameide-release notes --ref "$RELEASE_TAG" --output dist/release/notes.md');
  });

  /** Runs the release step's script in a workspace holding what the publish job left, gh replaced by a recorder. */
  function releaseScript(tag: string, releaseExists: boolean): { calls: string[]; assets: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'ameide-gh-'));
    try {
      const bin = join(dir, 'bin');
      const ws = join(dir, 'ws');
      for (const d of [bin, join(ws, 'dist/sdk'), join(ws, 'dist/go/cache'), join(ws, 'dist/release/sdk'), join(dir, 'tmp')]) require('node:fs').mkdirSync(d, { recursive: true });
      writeFileSync(join(bin, 'gh'), `#!/bin/sh
echo "gh $*" >> "$RECORD"
if [ "$2" = view ]; then exit ${releaseExists ? 0 : 1}; fi
`);
      chmodSync(join(bin, 'gh'), 0o755);
      writeFileSync(join(ws, 'dist/sdk/pack-manifest.json'), JSON.stringify({ files: [{ file: 'dist/sdk/sdk-1.2.3.tgz', kind: 'tgz' }] }));
      writeFileSync(join(ws, 'dist/sdk/sdk-1.2.3.tgz'), 'tgz');
      const goFiles = [['go-zip', 'v1.2.3.zip'], ['go-mod', 'v1.2.3.mod'], ['go-info', 'v1.2.3.info'], ['go-list', 'list']];
      writeFileSync(join(ws, 'dist/go/pack-manifest.json'), JSON.stringify({ files: goFiles.map(([kind, f]) => ({ kind, file: `dist/go/cache/${f}` })) }));
      for (const [, f] of goFiles) writeFileSync(join(ws, 'dist/go/cache', f), f);
      writeFileSync(join(ws, 'dist/release/sdk/sbom.cdx.json'), '{}');
      writeFileSync(join(ws, 'dist/release/sdk/provenance.intoto.json'), '{}');
      writeFileSync(join(ws, 'dist/release/notes.md'), '# notes');
      const step = named('create or update the GitHub Release');
      writeFileSync(join(dir, 'record'), '');
      execFileSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], {
        cwd: ws,
        env: { PATH: `${bin}:/usr/bin:/bin`, RECORD: join(dir, 'record'), RUNNER_TEMP: join(dir, 'tmp'), RELEASE_TAG: tag, GH_TOKEN: 't', GH_REPO: 'o/r' },
      });
      const assets = require('node:fs').readdirSync(join(dir, 'tmp', 'release-assets')).sort();
      const calls = readFileSync(join(dir, 'record'), 'utf8').split('\n').filter(Boolean).map((l: string) => l.split(join(dir, 'tmp', 'release-assets')).join('$ASSETS'));
      return { calls, assets };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('passes every value through env, never an expression in the script', () => {
    const step = named('create or update the GitHub Release');
    expect(step.env).toEqual({ GH_TOKEN: '${{ github.token }}', GH_REPO: '${{ github.repository }}', RELEASE_TAG: '${{ github.ref_name }}' });
    expect(step.run).not.toContain('${{');
  });

  it('creates the release with the notes, the packed artifacts, each manifest and each SBOM and provenance (flat names)', () => {
    const { calls, assets } = releaseScript('v1.2.3', false);
    expect(assets).toEqual([
      'go.pack-manifest.json', 'go.v1.2.3.info', 'go.v1.2.3.mod', 'go.v1.2.3.zip',
      'sdk-1.2.3.tgz', 'sdk.pack-manifest.json', 'sdk.provenance.intoto.json', 'sdk.sbom.cdx.json',
    ]);
    const files = assets.map((a) => `$ASSETS/${a}`).join(' ');
    expect(calls).toEqual(['gh release view v1.2.3', `gh release create v1.2.3 --verify-tag --title v1.2.3 --notes-file dist/release/notes.md ${files}`]);
  });

  it('marks a release candidate as a prerelease', () => {
    expect(releaseScript('v1.2.3-rc.1', false).calls[1]).toContain('--title v1.2.3-rc.1 --notes-file dist/release/notes.md --prerelease $ASSETS/');
  });

  it('a re-run updates the notes and replaces the assets of the existing release', () => {
    const { calls, assets } = releaseScript('v1.2.3', true);
    expect(calls).toEqual([
      'gh release view v1.2.3',
      'gh release edit v1.2.3 --notes-file dist/release/notes.md',
      `gh release upload v1.2.3 --clobber ${assets.map((a) => `$ASSETS/${a}`).join(' ')}`,
    ]);
  });
});

describe('every workflow init can write', () => {
  let variants: WorkflowVariant[];
  beforeAll(async () => {
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    variants = [{ name: 'committed', text: committedText }, ...(await renderWorkflowVariants())];
  });
  const ci = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');

  it('renders one variant per package manager shape', () => {
    expect(variants.map((v) => v.name)).toEqual([
      'committed',
      'cd-packages.npm.yml',
      'cd-packages.npm-requirements.yml',
      'cd-packages.pnpm-field.yml',
      'cd-packages.pnpm-no-field.yml',
      'cd-packages.yarn.yml',
    ]);
  });

  it('never puts an expression into a run script (they go through env)', () => {
    for (const v of variants) {
      const doc = YAML.parse(v.text);
      for (const [job, j] of Object.entries<any>(doc.jobs)) {
        expect([v.name, job, j['timeout-minutes'] > 0]).toEqual([v.name, job, true]);
        for (const s of j.steps as Step[]) expect([v.name, job, s.run?.includes('${{') ?? false]).toEqual([v.name, job, false]);
      }
    }
  });

  it('pins every action to a full commit SHA with its version, each listed in docs/ci.md', () => {
    for (const v of variants) {
      const uses = v.text.split('\n').filter((l) => /^\s*(- )?uses: /.test(l));
      expect(uses.length).toBeGreaterThan(5);
      for (const line of uses) {
        const m = /uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(line);
        expect([v.name, line, !!m]).toEqual([v.name, line, true]);
        const [, action, sha, version] = m!;
        const row = ci.split('\n').find((l) => l.includes(`\`${action}\``));
        expect([action, row?.includes(version) && row.includes(sha)]).toEqual([action, true]);
      }
    }
  });
});
