import { parseArtifactRef, traceTable } from '.';
import { versionOfDistFile } from '../ecosystems/pypi/trace';

describe('parseArtifactRef', () => {
  it.each([
    ['npm:@scope/pkg@1.2.3', { kind: 'npm', name: '@scope/pkg', version: '1.2.3' }],
    ['npm:pkg@1.2.3-dev.1', { kind: 'npm', name: 'pkg', version: '1.2.3-dev.1' }],
    ['pypi:ameide-sdk==1.2.3.dev4', { kind: 'pypi', name: 'ameide-sdk', version: '1.2.3.dev4' }],
    ['oci:127.0.0.1:5000/ns/img:1.2', { kind: 'oci', name: '127.0.0.1:5000/ns/img', version: '1.2' }],
    ['oci:img:dev', { kind: 'oci', name: 'img', version: 'dev' }],
    ['go:github.com/o/m@v1.2.3', { kind: 'go', name: 'github.com/o/m', version: 'v1.2.3' }],
  ])('%s', (ref, want) => expect(parseArtifactRef(ref)).toEqual(want));

  it.each(['npm:@scope/pkg', 'pypi:name', 'oci:127.0.0.1:5000/ns/img', 'go:m', 'cargo:x@1', 'abc'])('refuses %s', (ref) => expect(parseArtifactRef(ref)).toBeNull());
});

it('versionOfDistFile reads wheels and sdists, nothing else', () => {
  expect(versionOfDistFile('ameide_sdk-1.2.3.dev4-py3-none-any.whl')).toBe('1.2.3.dev4');
  expect(versionOfDistFile('ameide_sdk-1.2.3.tar.gz')).toBe('1.2.3');
  expect(versionOfDistFile('README.md')).toBeNull();
});

it('traceTable: the SHA, then one aligned row per artifact', () => {
  const sha = 'a'.repeat(40);
  const text = traceTable({ sha, query: 'aaaaaaa', unreadable: [], artifacts: [{ ecosystem: 'npm', project: 'p', name: '@s/p', version: '1.0.0', gitSha: sha, registry: 'http://r/', tags: ['latest'] }] });
  expect(text.split('\n')).toEqual([`${sha}: 1 artifact(s)`, 'ecosystem  project  name  version  file / digest  tags    registry', 'npm        p        @s/p  1.0.0                   latest  http://r/', '']);
});
