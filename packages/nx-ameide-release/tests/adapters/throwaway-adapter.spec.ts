import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EcosystemAdapter, PlannedArtifact, PublishInput } from '../../src/core/contract';
import { registerAdapter } from '../../src/ecosystems';
import { packTask, publishTask, type TaskInput } from '../../src/flow/task';
import { preflightProject } from '../../src/flow/preflight';
import { sha256Hex } from '../../src/hash';
import { computeContext } from '../../src/version/compute';

// A fifth ecosystem, registered from the test folder: it "publishes" a file into a folder that
// stands for its registry (the folder is its registry: lookup reads it, upload writes it). It
// goes through the same pipeline as npm, PyPI, Go and OCI, with no line of the core changed.
const SHA = 'e'.repeat(40);
const context = computeContext(
  { headSha: SHA, commitTime: '2026-12-01T10:00:00Z', reachableTags: ['v0.1.0'], allTags: ['v0.1.0'], tagsAtHead: [], dirty: false, dirtyPaths: [], shallow: false, branch: 'main' },
  'refs/heads/main',
);

function dropAdapter(registry: string): EcosystemAdapter {
  const target = (a: PlannedArtifact) => join(registry, `${a.name}-${a.version}.txt`);
  return {
    ecosystem: 'drop',
    role: 'package',
    async pack(input) {
      const file = join(input.outDir, 'payload.txt');
      writeFileSync(file, `payload of ${input.project} at ${input.context.GIT_SHA}\n`);
      const rel = `dist/${input.project}/payload.txt`;
      return { project: input.project, name: input.project, ecosystem: 'drop', version: input.context.NPM_VERSION, gitSha: input.context.GIT_SHA, channel: input.context.CHANNEL, files: [{ file: rel, sha256: sha256Hex(readFileSync(file)), kind: 'txt' }] };
    },
    version: (ctx) => ctx.NPM_VERSION,
    async checks(input) {
      return existsSync(registry) ? [] : [{ check: 'destination', problem: `${registry} does not exist`, fix: 'create it' }];
    },
    steps: {
      plan: (input: PublishInput) => [{ id: `${input.manifest.name}@${input.manifest.version}`, ecosystem: 'drop', name: input.manifest.name, version: input.manifest.version, registry, kind: 'txt', file: input.manifest.files[0].file, sha256: input.manifest.files[0].sha256, tags: [] }],
      async lookup(_input, a) {
        if (!existsSync(target(a))) return { state: 'absent' };
        return { state: 'present', gitSha: readFileSync(target(a), 'utf8').split('\n')[0] };
      },
      async upload(input, a) {
        writeFileSync(target(a), `${input.context.GIT_SHA}\n${readFileSync(join(input.workspaceRoot, a.file!), 'utf8')}`);
      },
    },
    describe: () => ({ registry, tags: [] }),
  };
}

describe('a throwaway adapter, registered in one line, through preflight and publish', () => {
  let ws: string;
  let registry: string;
  let unregister: () => void;
  const lines: string[] = [];
  const task = (): TaskInput => ({ workspaceRoot: ws, project: 'thing', projectRoot: 'packages/thing', ecosystem: 'drop', options: {}, dryRun: false, env: {}, log: (l) => lines.push(l), context: async () => context });
  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'throwaway-'));
    registry = join(ws, 'registry');
    mkdirSync(registry);
    mkdirSync(join(ws, 'packages/thing'), { recursive: true });
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'ws', private: true }));
    unregister = registerAdapter(dropAdapter(registry));
  });
  afterAll(() => {
    unregister();
    rmSync(ws, { recursive: true, force: true });
  });

  it('packs, passes the preflight, publishes once, and a re-run of the SHA sends nothing', async () => {
    await packTask(task(), false);
    expect(JSON.parse(readFileSync(join(ws, 'dist/thing/pack-manifest.json'), 'utf8'))).toMatchObject({ ecosystem: 'drop', gitSha: SHA });
    const t = task();
    expect(await preflightProject({ ...t, packages: true, images: false, record: true })).toEqual([]);
    await publishTask(t, 'package', 'publish');
    const result = JSON.parse(readFileSync(join(ws, 'dist/thing/publish-result.json'), 'utf8'));
    expect(result).toMatchObject({ ecosystem: 'drop', registry, outcome: { status: 'published' } });
    expect(readFileSync(join(registry, `thing-${context.NPM_VERSION}.txt`), 'utf8')).toContain(SHA);
    await publishTask(task(), 'package', 'publish');
    expect(JSON.parse(readFileSync(join(ws, 'dist/thing/publish-result.json'), 'utf8')).outcome.status).toBe('already-published');
  });

  it('refuses a version held by another SHA before any upload, the registry left as it was', async () => {
    const file = join(registry, `thing-${context.NPM_VERSION}.txt`);
    writeFileSync(file, `${'f'.repeat(40)}\nsomeone else's\n`);
    await expect(publishTask(task(), 'package', 'publish')).rejects.toThrow(/published from f{40}, but this run packed it from e{40}/);
    expect(readFileSync(file, 'utf8')).toContain("someone else's");
  });
});
