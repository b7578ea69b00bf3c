import { globToRegExp, scanYaml, splitImage } from './scan';

it('splitImage: host:port, tag, digest', () => {
  expect(splitImage('127.0.0.1:5000/ns/img:1.2.3')).toEqual({ repository: '127.0.0.1:5000/ns/img', tag: '1.2.3', digest: null });
  expect(splitImage('127.0.0.1:5000/ns/img')).toEqual({ repository: '127.0.0.1:5000/ns/img', tag: null, digest: null });
  expect(splitImage('ghcr.io/o/i:1.0.0@sha256:ab')).toEqual({ repository: 'ghcr.io/o/i', tag: '1.0.0', digest: 'sha256:ab' });
  expect(splitImage('ghcr.io/o/i@sha256:ab')).toEqual({ repository: 'ghcr.io/o/i', tag: null, digest: 'sha256:ab' });
});

it.each([
  ['**/prod/**', 'deploy/prod/a.yaml', true],
  ['**/prod/**', 'prod/a.yaml', true],
  ['**/prod/**', 'deploy/production/a.yaml', false],
  ['deploy/*/values.yaml', 'deploy/staging/values.yaml', true],
  ['deploy/*/values.yaml', 'deploy/a/b/values.yaml', false],
])('glob %s ~ %s = %s', (g, p, want) => expect(globToRegExp(g).test(p)).toBe(want));

it('scanYaml: nearest annotation wins, Helm maps and Kustomize entries, lines', () => {
  const text = `metadata:\n  annotations: { ameide.io/image-sha: outer }\nspec:\n  template:\n    metadata:\n      annotations: { ameide.io/image-sha: inner }\n    spec:\n      containers:\n        - image: r/n/i:1.0.0\n---\nimage: { repository: n/i, registry: r, tag: 2 }\n---\nkind: Kustomization\nimages:\n  - name: i\n    newName: r/n/i\n`;
  const { refs, errors } = scanYaml('f.yaml', text);
  expect(errors).toEqual([]);
  expect(refs.map((r) => [r.shape, r.line, r.repository, r.tag, r.annotation])).toEqual([
    ['k8s', 9, 'r/n/i', '1.0.0', 'inner'],
    ['helm', 11, 'r/n/i', '2', null],
    ['kustomize', 15, 'r/n/i', null, null],
  ]);
  expect(scanYaml('x.yaml', 'a: [').errors).toHaveLength(1);
});
