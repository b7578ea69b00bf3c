import { blocks, decide, refusal, type Decision, type Held } from './decide';

const OURS = 'a'.repeat(40);
const THEIRS = 'b'.repeat(40);

// The one decision every ecosystem goes through (npm, PyPI, Go, OCI): one table.
const table: [string, Held, Decision][] = [
  ['absent -> publish', { state: 'absent' }, { action: 'publish' }],
  ['present from this SHA -> done (re-run is a no-op)', { state: 'present', gitSha: OURS }, { action: 'done' }],
  ['present from this SHA, same bytes -> done', { state: 'present', gitSha: OURS, sameBytes: true }, { action: 'done' }],
  ['present from this SHA, other bytes -> refused', { state: 'present', gitSha: OURS, sameBytes: false }, { action: 'refused', reason: 'other bytes from this same commit' }],
  ['present from another SHA -> conflict naming it', { state: 'present', gitSha: THEIRS }, { action: 'conflict', heldBy: THEIRS }],
  ['present from another SHA, same bytes claimed -> still a conflict', { state: 'present', gitSha: THEIRS, sameBytes: true }, { action: 'conflict', heldBy: THEIRS }],
  ['present, no SHA recorded -> conflict (not made by this tool)', { state: 'present', gitSha: null }, { action: 'conflict', heldBy: null }],
];

describe('decide', () => {
  it.each(table)('%s', (_name, held, want) => {
    expect(decide(OURS, held)).toEqual(want);
  });

  it('blocks exactly the refusals and conflicts', () => {
    expect(table.filter(([, held]) => blocks(decide(OURS, held))).map(([n]) => n)).toEqual([
      'present from this SHA, other bytes -> refused',
      'present from another SHA -> conflict naming it',
      'present from another SHA, same bytes claimed -> still a conflict',
      'present, no SHA recorded -> conflict (not made by this tool)',
    ]);
  });

  it('a conflict names both commits, the artifact and the registry, and how to go on', () => {
    const e = refusal('@s/p@1.2.3', 'http://127.0.0.1:4873/', OURS, { action: 'conflict', heldBy: THEIRS });
    expect(e.message).toContain(OURS);
    expect(e.message).toContain(THEIRS);
    expect(e.message).toContain('@s/p@1.2.3');
    expect(e.message).toContain('http://127.0.0.1:4873/');
    expect(e.fix).toMatch(/never overwritten/);
  });

  it('an unknown holder is said to be unknown', () => {
    expect(refusal('m@v1.0.0', 'mirror', OURS, { action: 'conflict', heldBy: null }).message).toMatch(/unknown commit/);
  });

  it('other bytes from the same commit says the build is not reproducible', () => {
    expect(refusal('p==1.0.0 (p.whl)', 'idx', OURS, { action: 'refused', reason: 'x' }).fix).toMatch(/not reproducible/);
  });
});
