import { computeContext } from '../version/compute';
import { readGitFacts } from './facts';
import { createTempRepo, type TempRepo } from './testing';

jest.setTimeout(60_000);

/** The reachable tags the model needs, found by ancestry checks from the highest tag down (or one walk). */
describe('reachable version tags', () => {
  let r: TempRepo;
  afterEach(() => r.remove());

  it('a reachable prerelease above the last release: both, highest first (base 1.0.0, Go pseudo-version after the rc)', async () => {
    r = await createTempRepo();
    await r.commit('a');
    await r.tag('v1.0.0');
    await r.commit('b');
    await r.tag('v1.1.0-rc.1');
    await r.commit('c');
    const facts = await readGitFacts(r.dir);
    expect(facts.reachableTags).toEqual(['v1.1.0-rc.1', 'v1.0.0']);
    const ctx = computeContext(facts, 'refs/heads/main');
    expect(ctx.BASE_VERSION).toBe('1.0.0');
    expect(ctx.GO_PSEUDO_VERSION).toMatch(/^v1\.1\.0-rc\.1\.0\./);
  });

  it('more higher tags on another branch than ancestry checks allow: the walk gives the same answer', async () => {
    r = await createTempRepo();
    await r.commit('a');
    await r.tag('v1.0.0');
    await r.git('switch', '-q', '-c', 'next');
    for (let i = 0; i < 8; i++) {
      await r.commit(`next ${i}`);
      await r.tag(`v2.${i}.0`);
    }
    await r.git('switch', '-q', 'main');
    await r.commit('b');
    const facts = await readGitFacts(r.dir);
    expect(facts.reachableTags).toEqual(['v1.0.0']);
    expect(facts.allTags).toHaveLength(9);
    expect(computeContext(facts, 'refs/heads/main').BASE_VERSION).toBe('1.0.0');
  });

  it('only prereleases reachable: every one of them, and the seed as base', async () => {
    r = await createTempRepo();
    await r.commit('a');
    await r.tag('v0.2.0-rc.1');
    await r.commit('b');
    await r.tag('v0.2.0-rc.2');
    await r.commit('c');
    const facts = await readGitFacts(r.dir);
    expect(facts.reachableTags).toEqual(['v0.2.0-rc.2', 'v0.2.0-rc.1']);
    expect(computeContext(facts, 'refs/heads/main').BASE_VERSION).toBe('0.1.0');
  });
});
