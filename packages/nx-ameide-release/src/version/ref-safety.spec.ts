import { ReleaseError } from '../errors';
import { classifyRef } from './compute';

describe('classifyRef refuses refs a shell or git would misread, before anything runs', () => {
  it.each([
    ['a shell command after a semicolon', 'refs/heads/main;rm -rf /'],
    ['command substitution', 'refs/heads/$(id)'],
    ['backticks', 'refs/heads/`id`'],
    ['a pipe', 'refs/heads/main|cat'],
    ['a newline (a second GITHUB_OUTPUT line)', 'refs/heads/x\nNPM_VERSION=9.9.9'],
    ['a space', 'refs/heads/my branch'],
    ['a git range', 'refs/heads/a..b'],
    ['a reflog expression', 'refs/heads/main@{1}'],
    ['a tag with a shell tail', 'refs/tags/v1.2.3;id'],
    ['a trailing slash', 'refs/heads/main/'],
    ['a fullwidth digit look-alike', 'refs/tags/v\uff11.2.3'],
    ['a Cyrillic look-alike', 'refs/tags/v1.2.\u0417'],
  ])('%s: %j', (_why, ref) => {
    expect(() => classifyRef(ref, 'main')).toThrow(ReleaseError);
    expect(() => classifyRef(ref, 'main')).toThrow(/is not a ref name this release flow accepts[\s\S]*fix: run from refs\/heads\/main/);
  });

  it.each([
    ['main', 'refs/heads/main', 'dev'],
    ['a feature branch with - _ . /', 'refs/heads/feature/x-1.2_b', 'build'],
    ['a pull request merge ref', 'refs/pull/12/merge', 'build'],
    ['a release tag', 'refs/tags/v1.2.3', 'release'],
    ['a non-release tag', 'refs/tags/docs-2024', 'build'],
  ])('%s stays accepted: %s -> %s', (_why, ref, channel) => {
    expect(classifyRef(ref, 'main').channel).toBe(channel);
  });
});
