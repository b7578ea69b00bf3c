import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { highestRelease } from './dist-tags';
import { LATE_RUN_TAG, planNpmTags, PROMISE, type NpmTagPlanInput } from './dist-tag-plan';

/**
 * The outcomes x credential modes table of docs/publish-flow.md ("npm dist-tags and trusted
 * publishing"): these rows ARE that table (the last test renders them and finds them there,
 * word for word). Each row: the registry before, what this run publishes, and what each mode
 * leaves. `oidc: 'refused'` is a case the preflight refuses before anything is uploaded.
 */
interface Row {
  name: string;
  before: Record<string, string>;
  versions: string[];
  version: string;
  distTag: string;
  /** The version distTag names now is newer than ours (git ancestry on dev, SemVer on releases). */
  holderIsNewer?: boolean;
  published?: boolean;
  token: { upload: string | null; after: Record<string, string> };
  oidc: 'refused' | { upload: string | null; after: Record<string, string>; unmet: string[] };
}

const SHA = 'abc1234';
const TMP = `ameide-tmp-${SHA}`;
const d = (n: number, base = '0.1.0') => `${base}-dev.${n}`;

const rows: Row[] = [
  {
    name: 'first publish of a new package (dev): the registry puts latest on it too',
    before: {}, versions: [], version: d(1), distTag: 'dev',
    token: { upload: 'dev', after: { dev: d(1), latest: d(1) } },
    oidc: 'refused',
  },
  {
    name: 'dev before the first release: latest follows dev',
    before: { dev: d(1), latest: d(1) }, versions: [d(1)], version: d(2), distTag: 'dev',
    token: { upload: 'dev', after: { dev: d(2), latest: d(2) } },
    oidc: { upload: 'dev', after: { dev: d(2), latest: d(1) }, unmet: [PROMISE.latestFollowsDev] },
  },
  {
    name: 'late run of an older commit before the first release: dev and latest stay',
    before: { dev: d(3), latest: d(3) }, versions: [d(1), d(3)], version: d(2), distTag: 'dev', holderIsNewer: true,
    token: { upload: TMP, after: { dev: d(3), latest: d(3) } },
    oidc: { upload: LATE_RUN_TAG, after: { dev: d(3), latest: d(3), [LATE_RUN_TAG]: d(2) }, unmet: [PROMISE.throwawayRemoved] },
  },
  {
    name: 'the first release takes latest (from where OIDC alone left it)',
    before: { dev: d(3), latest: d(1) }, versions: [d(1), d(2), d(3)], version: '0.1.0', distTag: 'latest',
    token: { upload: 'latest', after: { dev: d(3), latest: '0.1.0' } },
    oidc: { upload: 'latest', after: { dev: d(3), latest: '0.1.0' }, unmet: [] },
  },
  {
    name: 'dev after a release: dev moves, latest stays on the release',
    before: { dev: d(3), latest: '0.1.0' }, versions: [d(3), '0.1.0'], version: d(4), distTag: 'dev',
    token: { upload: 'dev', after: { dev: d(4), latest: '0.1.0' } },
    oidc: { upload: 'dev', after: { dev: d(4), latest: '0.1.0' }, unmet: [] },
  },
  {
    name: 'a higher release takes latest',
    before: { dev: d(4), latest: '0.1.0' }, versions: [d(4), '0.1.0', '1.9.0'], version: '2.0.0', distTag: 'latest',
    token: { upload: 'latest', after: { dev: d(4), latest: '2.0.0' } },
    oidc: { upload: 'latest', after: { dev: d(4), latest: '2.0.0' }, unmet: [] },
  },
  {
    name: 'a backport never takes latest: it takes its line tag',
    before: { dev: d(4), latest: '2.0.0' }, versions: [d(4), '0.1.0', '1.9.0', '2.0.0'], version: '1.9.1', distTag: 'latest-1.9',
    token: { upload: 'latest-1.9', after: { dev: d(4), latest: '2.0.0', 'latest-1.9': '1.9.1' } },
    oidc: { upload: 'latest-1.9', after: { dev: d(4), latest: '2.0.0', 'latest-1.9': '1.9.1' }, unmet: [] },
  },
  {
    name: 'a late run of an older backport leaves its line tag on the newer one',
    before: { dev: d(4), latest: '2.0.0', 'latest-1.9': '1.9.1' }, versions: [d(4), '0.1.0', '1.9.1', '2.0.0'], version: '1.9.0', distTag: 'latest-1.9', holderIsNewer: true,
    token: { upload: TMP, after: { dev: d(4), latest: '2.0.0', 'latest-1.9': '1.9.1' } },
    oidc: { upload: LATE_RUN_TAG, after: { dev: d(4), latest: '2.0.0', 'latest-1.9': '1.9.1', [LATE_RUN_TAG]: '1.9.0' }, unmet: [PROMISE.throwawayRemoved] },
  },
  {
    name: 'a late run of an older dev commit after a release: dev stays',
    before: { dev: d(6, '2.0.0'), latest: '2.0.0' }, versions: ['2.0.0', d(6, '2.0.0')], version: d(5, '2.0.0'), distTag: 'dev', holderIsNewer: true,
    token: { upload: TMP, after: { dev: d(6, '2.0.0'), latest: '2.0.0' } },
    oidc: { upload: LATE_RUN_TAG, after: { dev: d(6, '2.0.0'), latest: '2.0.0', [LATE_RUN_TAG]: d(5, '2.0.0') }, unmet: [PROMISE.throwawayRemoved] },
  },
  {
    name: 'a prerelease goes to next, latest stays',
    before: { dev: d(6, '2.0.0'), latest: '2.0.0' }, versions: ['2.0.0', d(6, '2.0.0')], version: '2.1.0-rc.1', distTag: 'next',
    token: { upload: 'next', after: { dev: d(6, '2.0.0'), latest: '2.0.0', next: '2.1.0-rc.1' } },
    oidc: { upload: 'next', after: { dev: d(6, '2.0.0'), latest: '2.0.0', next: '2.1.0-rc.1' }, unmet: [] },
  },
  {
    name: 're-run after something left latest on a dev version: latest goes back to the release',
    before: { dev: d(6, '2.0.0'), latest: d(6, '2.0.0') }, versions: ['2.0.0', d(6, '2.0.0')], version: d(6, '2.0.0'), distTag: 'dev', published: true,
    token: { upload: null, after: { dev: d(6, '2.0.0'), latest: '2.0.0' } },
    oidc: { upload: null, after: { dev: d(6, '2.0.0'), latest: d(6, '2.0.0') }, unmet: [PROMISE.latestNeverDev] },
  },
  {
    name: 're-run of a published release changes nothing',
    before: { dev: d(6, '2.0.0'), latest: '2.0.0' }, versions: ['2.0.0', d(6, '2.0.0')], version: '2.0.0', distTag: 'latest', published: true,
    token: { upload: null, after: { dev: d(6, '2.0.0'), latest: '2.0.0' } },
    oidc: { upload: null, after: { dev: d(6, '2.0.0'), latest: '2.0.0' }, unmet: [] },
  },
];

const input = (r: Row, canWriteTags: boolean): NpmTagPlanInput => ({
  name: '@fx/sdk',
  version: r.version,
  distTag: r.distTag,
  distTags: r.before,
  versions: r.versions,
  holderIsNewer: r.holderIsNewer ?? false,
  published: r.published ?? false,
  exists: r.versions.length > 0,
  canWriteTags,
  shortSha: SHA,
});

describe('npm dist-tags x credential modes (docs/publish-flow.md)', () => {
  it.each(rows)('$name', (r) => {
    const token = planNpmTags(input(r, true));
    expect({ upload: token.uploadTag, after: token.final }).toEqual(r.token);
    expect(token.unmet).toEqual([]);
    // The promises, read off the state the token mode leaves (independently of the rows' values):
    const released = highestRelease([...r.versions, r.version]);
    if (released) expect(token.final.latest).toBe(released); // releases take latest, backports never; never a dev version
    else expect(token.final.latest).toBe(token.final.dev); // latest follows dev until the first release
    if (r.holderIsNewer) expect(token.final[r.distTag]).toBe(r.before[r.distTag]); // a late run moves no tag back
    else expect(token.final[r.distTag]).toBe(r.version);
    expect(Object.keys(token.final).filter((t) => t.startsWith('ameide-tmp-'))).toEqual([]);

    if (r.oidc === 'refused') return;
    const oidc = planNpmTags(input(r, false));
    expect({ upload: oidc.uploadTag, after: oidc.final }).toEqual({ upload: r.oidc.upload, after: r.oidc.after });
    expect(oidc.unmet.map((u) => u.split(':')[0])).toEqual(r.oidc.unmet);
    // OIDC alone writes nothing after the upload, and its one --tag is the token mode's (bar the late-run name).
    expect(oidc.final).toEqual(oidc.afterUpload);
    expect(oidc.writes.map((w) => w.keeps)).toEqual(r.oidc.unmet);
    // Every documented tag a late run holds back stays where it was in OIDC mode too.
    if (r.holderIsNewer) expect(oidc.final[r.distTag]).toBe(r.before[r.distTag]);
  });

  it('says what does not hold, and how to make it hold, naming the write OIDC cannot do', () => {
    const oidc = planNpmTags(input(rows[1], false));
    expect(oidc.unmet).toEqual([
      `${PROMISE.latestFollowsDev}: does not hold with trusted publishing alone (latest stays on ${d(1)}); it needs \`npm dist-tag add @fx/sdk@${d(2)} latest\`, which OIDC does not authorize (npm/cli#8547): give NPM_TOKEN too and the run does it`,
    ]);
  });

  it('is the table in docs/publish-flow.md, row for row', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'docs', 'publish-flow.md'), 'utf8');
    expect(doc).toContain(renderTable(rows).join('\n'));
  });
});

const tags = (t: Record<string, string>) => (Object.keys(t).length ? Object.entries(t).map(([k, v]) => `${k}=${v}`).join(' ') : '(new package)');
const code = (s: string | null) => (s === null ? 'nothing (there)' : `\`${s}\``);

/** The markdown table of the rows, as docs/publish-flow.md shows it. */
function renderTable(rs: Row[]): string[] {
  return [
    '| outcome | dist-tags before | publishes | token: `--tag`, then dist-tags | trusted publishing alone: `--tag`, then dist-tags | does not hold with OIDC alone |',
    '|---|---|---|---|---|---|',
    ...rs.map((r) => {
      const o = r.oidc;
      const oidcCell = o === 'refused' ? 'refused by the preflight (a first publish needs a token)' : `${code(o.upload)}: ${tags(o.after)}`;
      const unmet = o === 'refused' ? '–' : o.unmet.length ? o.unmet.join('; ') : '–';
      return `| ${r.name} | ${tags(r.before)} | ${r.version} (${r.distTag}) | ${code(r.token.upload)}: ${tags(r.token.after)} | ${oidcCell} | ${unmet} |`;
    }),
  ];
}

