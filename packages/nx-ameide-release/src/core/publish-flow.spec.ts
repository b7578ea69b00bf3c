import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeContext } from '../version/compute';
import { sha256Hex } from '../hash';
import type { PackManifest, PlannedArtifact, PublishInput, PublishSteps } from './contract';
import type { Held } from './decide';
import { AlreadyThere, FlowReads, heldFindings, planLines, publishFlow } from './publish-flow';
import { lookupVia, publishVia } from '../testing/flow';

// The flow's own rules (order, refusal before any upload, races, dry-run = the plan the run
// executes), with an in-memory registry standing for "what lookup answers". Each adapter's
// lookup/upload against a real registry is tested in its own integration spec.

const SHA = 'c'.repeat(40);
const OTHER = 'd'.repeat(40);
const ctx = (ref: string) =>
  computeContext(
    { headSha: SHA, commitTime: '2026-11-25T10:00:00Z', reachableTags: ['v0.1.0'], allTags: ['v0.1.0'], tagsAtHead: [], dirty: false, dirtyPaths: [], shallow: false, branch: 'main' },
    ref,
  );

let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'flow-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

function input(ref = 'refs/heads/main', files = ['a.tgz', 'b.tgz']): PublishInput {
  const context = ctx(ref);
  mkdirSync(join(root, 'dist/p'), { recursive: true });
  const manifest: PackManifest = {
    project: 'p',
    name: '@s/p',
    ecosystem: 'npm',
    version: context.NPM_VERSION,
    gitSha: SHA,
    channel: context.CHANNEL,
    files: files.map((f) => {
      writeFileSync(join(root, 'dist/p', f), f);
      return { file: `dist/p/${f}`, sha256: sha256Hex(Buffer.from(f)), kind: 'tgz' };
    }),
  };
  const lines: string[] = [];
  return { workspaceRoot: root, manifest, context, destinations: {}, env: {}, log: (l) => lines.push(l), lines } as PublishInput & { lines: string[] };
}

/** A registry in memory: id -> holder SHA; records every call. */
function steps(held: Record<string, Held> = {}, opts: { raceOn?: string; failOn?: string } = {}) {
  const calls: string[] = [];
  const s: PublishSteps = {
    plan: (i) => i.manifest.files.map((f): PlannedArtifact => ({ id: f.file.split('/').pop()!, ecosystem: 'npm', name: i.manifest.name, version: i.manifest.version, registry: 'mem', kind: f.kind, file: f.file, sha256: f.sha256, tags: ['dev'] })),
    lookup: async (_i, a) => {
      calls.push(`lookup ${a.id}`);
      return held[a.id] ?? { state: 'absent' };
    },
    upload: async (_i, a) => {
      calls.push(`upload ${a.id}`);
      if (a.id === opts.failOn) throw new Error('connection reset');
      if (a.id === opts.raceOn) {
        held[a.id] = { state: 'present', gitSha: raceHolder };
        throw new AlreadyThere(a);
      }
      held[a.id] = { state: 'present', gitSha: SHA };
    },
    finish: async (_i, results) => {
      calls.push(`finish ${results.map((r) => `${r.id}:${r.outcome}`).join(',')}`);
      return [];
    },
  };
  return { s, calls, held };
}
let raceHolder = SHA;

describe('publishFlow', () => {
  it('looks up every artifact before the first upload, uploads what is absent, then finishes', async () => {
    const { s, calls } = steps({ 'a.tgz': { state: 'present', gitSha: SHA } });
    const r = await publishFlow(s, input(), { dryRun: false });
    expect(calls).toEqual(['lookup a.tgz', 'lookup b.tgz', 'upload b.tgz', 'finish a.tgz:already-published,b.tgz:published']);
    expect(r.outcome.status).toBe('published');
  });

  it('a re-run of the same SHA uploads nothing and still finishes (completes pointers)', async () => {
    const { s, calls } = steps({ 'a.tgz': { state: 'present', gitSha: SHA }, 'b.tgz': { state: 'present', gitSha: SHA } });
    const r = await publishFlow(s, input(), { dryRun: false });
    expect(calls.filter((c) => c.startsWith('upload'))).toEqual([]);
    expect(r.outcome.status).toBe('already-published');
    expect(calls.at(-1)).toMatch(/^finish/);
  });

  it('one artifact held by another SHA refuses the project before ANY upload, naming both SHAs', async () => {
    const { s, calls } = steps({ 'b.tgz': { state: 'present', gitSha: OTHER } });
    await expect(publishFlow(s, input(), { dryRun: false })).rejects.toThrow(new RegExp(`${OTHER}.*${SHA}`, 's'));
    expect(calls).toEqual(['lookup a.tgz', 'lookup b.tgz']);
  });

  it('the build channel publishes nothing and asks nothing', async () => {
    const { s, calls } = steps();
    const r = await publishFlow(s, input('refs/heads/feature'), { dryRun: false });
    expect(r.outcome).toMatchObject({ status: 'skipped' });
    expect(calls).toEqual([]);
  });

  it('the adapter\'s own skip (Go on dev) and an empty plan publish nothing, with the reason', async () => {
    const { s, calls } = steps();
    s.skip = () => 'only in the dev image';
    expect((await publishFlow(s, input(), { dryRun: false })).outcome).toEqual({ status: 'skipped', reason: 'only in the dev image' });
    s.skip = () => null;
    s.plan = () => [];
    expect((await publishFlow(s, input(), { dryRun: false })).outcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/nothing to publish/) });
    expect(calls).toEqual([]);
  });

  it('a file changed after pack is refused before any lookup', async () => {
    const { s, calls } = steps();
    const i = input();
    writeFileSync(join(root, 'dist/p/a.tgz'), 'tampered');
    // the pipeline's manifest check (src/flow/task.ts), before the flow's first lookup
    await expect(publishVia({ steps: s }, i)).rejects.toThrow(/changed after pack/);
    expect(calls).toEqual([]);
  });

  it('a manifest from another SHA is refused before any lookup', async () => {
    const { s, calls } = steps();
    const i = input();
    i.manifest.gitSha = OTHER;
    await expect(publishVia({ steps: s }, i)).rejects.toThrow(/packed from d{40}, but HEAD is c{40}/);
    expect(calls).toEqual([]);
  });

  it('dry-run prints the plan with its decisions and uploads nothing', async () => {
    const { s, calls } = steps({ 'a.tgz': { state: 'present', gitSha: SHA } });
    const i = input() as PublishInput & { lines: string[] };
    const r = await publishFlow(s, i, { dryRun: true });
    expect(calls).toEqual(['lookup a.tgz', 'lookup b.tgz']);
    expect(i.lines.join('\n')).toMatch(/a\.tgz.*already published by this commit/);
    expect(i.lines.join('\n')).toMatch(/b\.tgz.*\[publish\]/);
    expect(planLines(r.plan)).toEqual(i.lines.slice(1).map((l) => l.trim()));
  });

  it('dry-run with an unreadable registry still prints the plan, marked unknown', async () => {
    const { s } = steps();
    s.lookup = async () => {
      throw new Error('ECONNREFUSED 127.0.0.1:1');
    };
    const r = await publishFlow(s, input(), { dryRun: true });
    expect(r.plan.map((p) => p.decision.action)).toEqual(['unknown', 'unknown']);
  });

  it('a race won by this same SHA is kept as already published', async () => {
    raceHolder = SHA;
    const { s } = steps({}, { raceOn: 'a.tgz' });
    const r = await publishFlow(s, input(), { dryRun: false });
    expect(r.artifacts.map((a) => `${a.id}:${a.outcome}`)).toEqual(['a.tgz:already-published', 'b.tgz:published']);
  });

  it('a race won by another SHA is refused naming both', async () => {
    raceHolder = OTHER;
    const { s, calls } = steps({}, { raceOn: 'a.tgz' });
    await expect(publishFlow(s, input(), { dryRun: false })).rejects.toThrow(OTHER);
    expect(calls).not.toContain('upload b.tgz');
  });

  it('a failed upload says what is on the registry and what is not', async () => {
    const { s } = steps({}, { failOn: 'b.tgz' });
    await expect(publishFlow(s, input(), { dryRun: false })).rejects.toThrow(/on the registry: a\.tgz; not uploaded: b\.tgz/);
  });
});

describe('the preflight row and the whole-package members, from the same steps', () => {
  it('heldFindings: one version row per artifact held by another SHA, naming both; none when absent or ours', async () => {
    const { s, calls } = steps({ 'a.tgz': { state: 'present', gitSha: SHA }, 'b.tgz': { state: 'present', gitSha: OTHER } });
    const i = input();
    const rows = await heldFindings(s, { ...i, projectRoot: 'p', project: 'p', timeoutMs: 1000 });
    expect(rows).toEqual([{ check: 'version', problem: expect.stringMatching(new RegExp(`b\\.tgz is already on mem, published from ${OTHER}, but this run packed it from ${SHA}`)), fix: expect.stringMatching(/never overwritten/) }]);
    expect(calls.filter((c) => c.startsWith('upload'))).toEqual([]);
    expect(await heldFindings(steps().s, { ...i, projectRoot: 'p', project: 'p', timeoutMs: 1000 })).toEqual([]);
    expect(await heldFindings(s, { ...i, manifest: null, projectRoot: 'p', project: 'p', timeoutMs: 1000 })).toEqual([]);
  });

  it('the whole package through the steps: lookup is absent, ours, or the other SHA when any artifact is held by one; publish is the flow', async () => {
    expect(await lookupVia({ steps: steps().s }, input())).toEqual({ state: 'absent' });
    expect(await lookupVia({ steps: steps({ 'b.tgz': { state: 'present', gitSha: SHA } }).s }, input())).toEqual({ state: 'present', gitSha: SHA });
    expect(await lookupVia({ steps: steps({ 'a.tgz': { state: 'present', gitSha: SHA }, 'b.tgz': { state: 'present', gitSha: OTHER } }).s }, input())).toEqual({ state: 'present', gitSha: OTHER });
    const { s, calls } = steps();
    expect((await publishVia({ steps: s }, input())).status).toBe('published');
    expect(calls).toContain('upload a.tgz');
    expect(planLines(s.plan(input()).map((artifact) => ({ artifact, decision: { action: 'unknown', reason: 'not looked up' } })))).toEqual([expect.stringMatching(/^npm  a\.tgz  -> mem  tags dev/), expect.stringMatching(/^npm  b\.tgz/)]);
  });
});

describe('FlowReads: a registry read kept for the rest of one flow, and no longer', () => {
  it('one read per flow and key; another flow (input) reads its own; a dropped key is read again', async () => {
    const reads = new FlowReads<number>();
    let n = 0;
    const read = async () => ++n;
    const a = {};
    const b = {};
    expect(await reads.get(a, 'k', read)).toBe(1);
    expect(await reads.get(a, 'k', read)).toBe(1); // the sibling artifact of the same flow
    expect(await reads.get(b, 'k', read)).toBe(2); // another flow never sees a's read
    expect(await reads.get(a, 'other', read)).toBe(3);
    reads.drop(a, 'k'); // a's adapter uploaded
    expect(await reads.get(a, 'k', read)).toBe(4);
    expect(await reads.fresh(a, 'k', read)).toBe(5); // a lookup always asks
    expect(await reads.get(a, 'k', read)).toBe(5);
  });

  it('a failed read is not kept: the next reader asks again', async () => {
    const reads = new FlowReads<string>();
    const input = {};
    await expect(reads.get(input, 'k', async () => { throw new Error('ECONNRESET'); })).rejects.toThrow('ECONNRESET');
    expect(await reads.get(input, 'k', async () => 'ok')).toBe('ok');
  });
});
