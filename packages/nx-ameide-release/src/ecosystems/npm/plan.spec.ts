import type { PublishInput } from '../../core/contract';
import { fixtureContext } from './testing/fixture-workspace';
import { npmSteps } from './publish';

const planNpm = (i: PublishInput) => npmSteps().plan(i);

const SHA = '71e210beab37b68546d56dceccba18f09264ecc3';

function input(channel: 'dev' | 'release' | 'build'): PublishInput {
  const context = fixtureContext({ GIT_SHA: SHA, CHANNEL: channel });
  return {
    workspaceRoot: '/nowhere',
    context,
    destinations: { npm: { registry: 'http://127.0.0.1:4873/' } },
    env: { NPM_TOKEN: 'secret-token-value' },
    log: () => undefined,
    manifest: {
      project: 'configuration',
      name: '@ameideio/configuration',
      ecosystem: 'npm',
      version: context.NPM_VERSION,
      gitSha: SHA,
      channel,
      files: [{ file: 'dist/configuration/ameideio-configuration-x.tgz', sha256: 'ab'.repeat(32), kind: 'tgz' }],
    },
  };
}

describe('npm plan (data: what the flow looks up, prints on a dry-run and uploads)', () => {
  it('one tarball: registry-form version, destination, dist-tag, file and sha256; no secret', () => {
    const plan = planNpm(input('dev'));
    expect(plan).toEqual([
      {
        id: '@ameideio/configuration@0.1.0-dev.20251113153211',
        ecosystem: 'npm',
        name: '@ameideio/configuration',
        version: '0.1.0-dev.20251113153211',
        registry: 'http://127.0.0.1:4873/',
        kind: 'tgz',
        file: 'dist/configuration/ameideio-configuration-x.tgz',
        sha256: 'ab'.repeat(32),
        tags: ['dev'],
      },
    ]);
    expect(JSON.stringify(plan)).not.toContain('secret-token-value');
  });
  it('a release goes to latest', () => {
    expect(planNpm(input('release'))).toEqual([expect.objectContaining({ id: '@ameideio/configuration@0.1.0', tags: ['latest'] })]);
  });
});
