import { planAffected, type PlanDeps, type ProjectState } from './plan';
import { newestDev } from './dev-head';

/**
 * The decision alone, as a table: the registry state and the history are data here (a history of
 * commits a < b < c = HEAD on main, and x on another branch); the e2e spec affected.spec.ts runs it
 * against real registries, git and Nx.
 */
const HEAD = 'c'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const X = 'e'.repeat(40); // published from another branch
const ORDER = [A, B, HEAD];

/** Nx's answer per base: which projects changed since it. */
const CHANGED: Record<string, string[]> = { [A]: ['py', 'ts', 'cfg'], [B]: ['py'] };

function deps(calls: string[]): PlanDeps {
  return {
    isAncestor: async (sha, head) => {
      if (sha === 'f'.repeat(40)) throw new Error('bad object');
      return ORDER.includes(sha) && ORDER.indexOf(sha) <= ORDER.indexOf(head);
    },
    mergeBase: async (shas) => ORDER[Math.min(...shas.map((s) => ORDER.indexOf(s)))],
    affectedSince: async (base) => {
      calls.push(base);
      return new Set(CHANGED[base]);
    },
  };
}

const both = (sha: string): ProjectState['heads'] => [
  { kind: 'npm', sha, version: '0.1.0-dev.1' },
  { kind: 'oci', sha, version: '0.1.0-dev.1' },
];
const state = (project: string, heads: ProjectState['heads'], unreadable: string[] = []): ProjectState => ({ project, heads, unreadable });

describe('planAffected', () => {
  it.each([
    {
      name: 'every project published at B, only py changed since: py alone, one Nx call for the shared base',
      channel: 'dev',
      states: [state('py', both(B)), state('ts', both(B)), state('cfg', both(B))],
      chosen: ['py'],
      bases: { py: B, ts: B, cfg: B },
      nxCalls: [B],
      reason: { ts: /base bbbbbbb: the dev channel's last publish .*nothing of it or its dependencies changed/ },
    },
    {
      name: 'a release publishes every project without asking Nx',
      channel: 'release',
      states: [state('py', both(B)), state('ts', both(B))],
      chosen: ['py', 'ts'],
      bases: { py: null, ts: null },
      nxCalls: [],
      reason: { ts: /release channel/ },
    },
    {
      name: 'each project from its own base: ts last published at A is counted from A',
      channel: 'dev',
      states: [state('py', both(B)), state('ts', both(A)), state('cfg', both(B))],
      chosen: ['py', 'ts'],
      bases: { py: B, ts: A, cfg: B },
      nxCalls: [B, A],
      reason: {},
    },
    {
      name: 'package at B but image still at A (a half-ship): the merge base A, so the image catches up',
      channel: 'dev',
      states: [state('ts', [{ kind: 'npm', sha: B, version: '1' }, { kind: 'oci', sha: A, version: '1' }])],
      chosen: ['ts'],
      bases: { ts: A },
      nxCalls: [A],
      reason: { ts: /merge base of its dev-channel commits \(npm dist-tag dev bbbbbbb, image :dev aaaaaaa\)/ },
    },
    {
      name: 'nothing published yet: chosen, and says so',
      channel: 'dev',
      states: [state('py', [{ kind: 'pypi', sha: null, reason: 'PyPI py: no .devN version published' }, { kind: 'oci', sha: B, version: 'x' }])],
      chosen: ['py'],
      bases: { py: null },
      nxCalls: [],
      reason: { py: /every file counts: dev channel unknown: PyPI py: no \.devN version published/ },
    },
    {
      name: 'a registry that cannot be read: chosen, with the error',
      channel: 'dev',
      states: [state('ts', both(B), ['npm: connect ECONNREFUSED 127.0.0.1:1'])],
      chosen: ['ts'],
      bases: { ts: null },
      nxCalls: [],
      reason: { ts: /registry not readable \(npm: connect ECONNREFUSED/ },
    },
    {
      name: 'published from another branch: not an ancestor, chosen',
      channel: 'dev',
      states: [state('ts', both(X))],
      chosen: ['ts'],
      bases: { ts: null },
      nxCalls: [],
      reason: { ts: /eeeeeee, which is not an ancestor of HEAD/ },
    },
    {
      name: 'a commit this clone does not have (shallow clone): chosen, and says how to fetch',
      channel: 'dev',
      states: [state('ts', both('f'.repeat(40)))],
      chosen: ['ts'],
      bases: { ts: null },
      nxCalls: [],
      reason: { ts: /not in this clone's history \(fetch with fetch-depth: 0/ },
    },
    {
      name: 'the dev channel already holds HEAD (a re-run): nothing to publish, an empty list',
      channel: 'dev',
      states: [state('py', both(HEAD)), state('ts', both(HEAD))],
      chosen: [],
      bases: { py: HEAD, ts: HEAD },
      nxCalls: [],
      reason: { py: /that is HEAD, nothing new/ },
    },
    {
      name: '--base given: every project from it, whatever the registries said',
      channel: 'dev',
      base: B,
      states: [state('py', []), state('ts', both(A)), state('cfg', [], ['npm: unreadable'])],
      chosen: ['py'],
      bases: { py: B, ts: B, cfg: B },
      nxCalls: [B],
      reason: { ts: /^base bbbbbbb: given \(--base\); nothing of it/ },
    },
  ])('$name', async ({ channel, states, chosen, bases, nxCalls, reason, ...row }) => {
    const calls: string[] = [];
    const plan = await planAffected({ channel, head: HEAD, projects: states, base: 'base' in row ? (row.base as string) : undefined }, deps(calls));
    expect(plan.projects).toEqual(chosen);
    expect(Object.fromEntries(plan.choices.map((c) => [c.project, c.base]))).toEqual(bases);
    expect(calls).toEqual(nxCalls);
    for (const [project, re] of Object.entries(reason)) expect(plan.choices.find((c) => c.project === project)!.reason).toMatch(re as RegExp);
  });
});

describe('newestDev', () => {
  it.each([
    { name: 'the newest timestamp wins', versions: ['0.1.0.dev20251113153211', '0.1.0.dev20251114090000', '0.1.0.dev20251113160000'], newest: '0.1.0.dev20251114090000' },
    { name: 'a higher release segment wins over a later timestamp (next-patch bases)', versions: ['0.1.1.dev20251113000000', '0.1.0.dev20251231000000'], newest: '0.1.1.dev20251113000000' },
    { name: 'numbers, not strings: 0.10.0 above 0.9.0', versions: ['0.9.0.dev5', '0.10.0.dev1'], newest: '0.10.0.dev1' },
    { name: 'releases are not the dev channel', versions: ['0.2.0', '0.1.0.dev1'], newest: '0.1.0.dev1' },
    { name: 'no dev version at all', versions: ['0.1.0', '1.0.0rc1'], newest: null },
  ])('$name', ({ versions, newest }) => expect(newestDev(versions)).toBe(newest));
});
