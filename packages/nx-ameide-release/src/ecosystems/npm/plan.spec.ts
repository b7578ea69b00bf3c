import type { PublishInput } from '../types';
import { fixtureContext } from './testing/fixture-workspace';
import { planNpm } from './publish';

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

describe('planNpm', () => {
  it('names artifact, registry-form version, destination, dist-tag, file and sha for a dev publish', () => {
    const lines = planNpm(input('dev'));
    expect(lines[0]).toBe(
      'npm  @ameideio/configuration@0.1.0-dev.20251113153211  -> http://127.0.0.1:4873/  dist-tag dev  ' +
        '(dist/configuration/ameideio-configuration-x.tgz sha256 abababababab…, gitHead 71e210b)',
    );
    expect(lines[1]).toMatch(/latest stays on the highest release/);
    expect(lines.join('\n')).not.toContain('secret-token-value');
  });
  it('a release goes to latest', () => {
    expect(planNpm(input('release'))).toEqual([expect.stringMatching(/@ameideio\/configuration@0\.1\.0  -> .*dist-tag latest/)]);
  });
  it('the build channel plans nothing', () => {
    expect(planNpm(input('build'))).toEqual([expect.stringMatching(/skipped: channel 'build' never publishes/)]);
  });
});
