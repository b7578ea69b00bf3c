import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdsTable, protectedBy } from './argocd';
import type { Application, Apps } from './cluster';
import { protectRules } from './command';

/** The pure parts: the prod/staging rule and its sources. The API paths are in handoff.integration.spec.ts. */
const app = (spec: Application['spec']): Application => ({ metadata: { name: 'svc', namespace: 'argocd', resourceVersion: '1' }, spec });
// Path rules never ask the cluster; an Apps that is used would fail the test.
const noCluster: Apps = { server: 'none', get: () => Promise.reject(new Error('asked')), list: () => Promise.reject(new Error('asked')), patch: () => Promise.reject(new Error('asked')) };
const defaults = { prodPaths: ['**/prod/**', '**/staging/**'], prodPathsFrom: 'defaults' };

describe('protectedBy', () => {
  it.each([
    [{ source: { path: 'deploy/overlays/prod' } }, 'its source path deploy/overlays/prod matches the prod/staging path **/prod/** (defaults)'],
    [{ sources: [{ path: 'a/dev' }, { path: 'b/staging/x/' }] }, 'its source path b/staging/x/ matches the prod/staging path **/staging/** (defaults)'],
    [{ destination: { namespace: 'prod' } }, 'its destination namespace prod matches the prod/staging path **/prod/** (defaults)'],
    [{ project: 'staging' }, 'its project staging matches the prod/staging path **/staging/** (defaults)'],
  ])('%j is refused', async (spec, rule) => {
    expect(await protectedBy(app(spec as Application['spec']), defaults, noCluster)).toBe(rule);
  });

  it.each([[{ source: { path: 'deploy/overlays/dev' }, destination: { namespace: 'shop-prod-like' }, project: 'production' }], [{}]])('%j is a dev Application', async (spec) => {
    expect(await protectedBy(app(spec as Application['spec']), defaults, noCluster)).toBeNull();
  });
});

describe('protectRules', () => {
  let ws: string;
  beforeEach(() => (ws = mkdtempSync(join(tmpdir(), 'ameide-protect-'))));
  afterEach(() => rmSync(ws, { recursive: true, force: true }));
  const nx = (options: unknown) => writeFileSync(join(ws, 'nx.json'), JSON.stringify({ plugins: [{ plugin: '@ameideio/nx-ameide-release', options }] }));

  it('the gitops-check defaults without nx.json', () => {
    expect(protectRules({}, ws)).toEqual({ prodPaths: ['**/prod/**', '**/staging/**'], prodPathsFrom: 'the default prod/staging paths', selector: undefined, selectorFrom: 'nx.json argocd.protectedSelector' });
  });
  it('nx.json gitops.prodPaths and argocd.protectedSelector; flags win', () => {
    nx({ gitops: { dirs: ['deploy'], prodPaths: ['deploy/live/**'] }, argocd: { protectedSelector: 'env=prod' } });
    expect(protectRules({}, ws)).toMatchObject({ prodPaths: ['deploy/live/**'], prodPathsFrom: 'nx.json gitops.prodPaths', selector: 'env=prod' });
    expect(protectRules({ prodPaths: 'a/**, b/**', protectedSelector: 'tier=gold' }, ws)).toMatchObject({ prodPaths: ['a/**', 'b/**'], prodPathsFrom: '--prod-paths', selector: 'tier=gold', selectorFrom: '--protected-selector' });
    expect(() => protectRules({ prodPaths: ' , ' }, ws)).toThrow(/--prod-paths is empty/);
  });
});

it('status table: one row per hold, expired ones marked', () => {
  const t = holdsTable(
    [
      { name: 'a', hold: { holder: 'alice@l', since: '2026-12-07T10:00:00.000Z', expires: '2026-12-07T10:02:00.000Z', automated: { prune: true } }, expired: true },
      { name: 'bb', hold: { holder: 'bob@m', since: '2026-12-07T11:00:00.000Z', expires: '2026-12-07T15:00:00.000Z', automated: { selfHeal: true } }, expired: false },
    ],
    'argocd',
  );
  expect(t.split('\n')).toEqual([
    'application  holder   since                     expires                             recorded automated',
    'a            alice@l  2026-12-07T10:00:00.000Z  2026-12-07T10:02:00.000Z (expired)  {"prune":true}',
    'bb           bob@m    2026-12-07T11:00:00.000Z  2026-12-07T15:00:00.000Z            {"selfHeal":true}',
    '',
  ]);
  expect(holdsTable([], 'argocd')).toBe('argocd: no paused Application in namespace argocd\n');
});
