import type { TaskGraph } from '@nx/devkit';
import { assertRunCredentials, missingCredential, publishEcosystemsInRun } from './run-preflight';

const task = (project: string, target: string) => ({ id: `${project}:${target}`, target: { project, target }, overrides: {}, outputs: [], parallelism: true });
const projects = {
  cfg: { root: 'packages/cfg', targets: { publish: { options: { ecosystem: 'npm' } } } },
  py: { root: 'packages/py', targets: { publish: { options: { ecosystem: 'pypi' } } } },
  go: { root: 'packages/go', targets: { publish: { options: { ecosystem: 'go' } } } },
};

describe('run-wide credential preflight', () => {
  it('finds the ecosystems of the publish tasks in the run, not of the other targets', () => {
    const graph = { tasks: { a: task('cfg', 'publish'), b: task('py', 'pack'), c: task('go', 'publish') } } as unknown as TaskGraph;
    expect(publishEcosystemsInRun(graph, projects)).toEqual(['go', 'npm']);
    expect(publishEcosystemsInRun(undefined, projects)).toEqual([]);
  });

  it.each([
    ['npm without a token', 'npm', {}, /NPM_TOKEN/],
    ['npm with a token', 'npm', { NPM_TOKEN: 'npm_tok_1234' }, null],
    ['PyPI without a password', 'pypi', { PYPI_USERNAME: 'u' }, /PYPI_PASSWORD/],
    ['PyPI with an API token', 'pypi', { PYPI_TOKEN: 'pypi-abcdef' }, null],
    ['Go uses git credentials', 'go', {}, null],
  ] as const)('%s', (_name, eco, env, expected) => {
    const got = missingCredential(eco, 'dev', env);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toMatch(expected);
  });

  it('names every missing credential at once, and says nothing is uploaded', () => {
    expect(() => assertRunCredentials(['npm', 'pypi'], 'dev', {})).toThrow(/nothing is uploaded[\s\S]*NPM_TOKEN.*PYPI_TOKEN/);
    expect(() => assertRunCredentials(['npm', 'pypi'], 'dev', { NPM_TOKEN: 'npm_tok_1234', PYPI_TOKEN: 'pypi-abcdef' })).not.toThrow();
  });
});
