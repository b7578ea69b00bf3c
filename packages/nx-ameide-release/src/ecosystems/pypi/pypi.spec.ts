import { ReleaseError } from '../../errors';
import type { PackManifest, PublishInput } from '../../core/contract';
import { checkPypiVersion, stampBuildInfo } from './build-info';
import { distributionStem, normalizeProjectName } from './commands';
import { sourceDateEpoch } from './pack';
import { isFileOfVersion, isTransientUpload, locate, parseUploadFailure, pypiSteps, UploadError } from './publish';
import { checkPlaceholderVersion, commitUrl, readPyproject, repositoryUrlFrom, stampPyproject } from './pyproject';
import { parseSimplePage } from './simple-index';
import { devContext, FIXTURE_PYPROJECT } from './testing/fixture-project';

const SHA = '71e210beab37b68546d56dceccba18f09264ecc3';
const URL_ = `https://github.com/ameideio/ameide/commit/${SHA}`;

describe('pyproject stamping', () => {
  const cases: { name: string; input: string; expected: string }[] = [
    {
      name: 'stamps the version and appends the commit URL to an existing [project.urls]',
      input: '[project]\nname = "p"\nversion = "0.0.0"\n\n[project.urls]\nRepository = "https://x/r"\n\n[tool.x]\na = 1\n',
      expected: `[project]\nname = "p"\nversion = "0.1.0"\n\n[project.urls]\nRepository = "https://x/r"\n"Source Commit" = "${URL_}"\n\n[tool.x]\na = 1\n`,
    },
    {
      name: 'adds a [project.urls] table at the end when there is none',
      input: "[project]\nname = 'p'\nversion = '0.0.0'  # placeholder\n\n",
      expected: `[project]\nname = 'p'\nversion = "0.1.0"  # placeholder\n\n[project.urls]\n"Source Commit" = "${URL_}"\n`,
    },
    {
      name: 'replaces a Source Commit URL already there instead of duplicating the key',
      input: '[project]\nname = "p"\nversion = "0.0.0"\n[project.urls]\nsource-commit = "https://old"\n',
      expected: `[project]\nname = "p"\nversion = "0.1.0"\n[project.urls]\n"Source Commit" = "${URL_}"\n`,
    },
    {
      name: 'leaves a version key of another table alone',
      input: '[tool.other]\nversion = "0.0.0"\n[project]\nname = "p"\nversion = "0.0.0"\n',
      expected: `[tool.other]\nversion = "0.0.0"\n[project]\nname = "p"\nversion = "0.1.0"\n\n[project.urls]\n"Source Commit" = "${URL_}"\n`,
    },
    {
      name: 'ignores header-like lines inside a multi-line string',
      input: '[project]\nname = "p"\ndescription = """\n[project.urls]\n"""\nversion = "0.0.0"\n',
      expected: `[project]\nname = "p"\ndescription = """\n[project.urls]\n"""\nversion = "0.1.0"\n\n[project.urls]\n"Source Commit" = "${URL_}"\n`,
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(stampPyproject(input, { version: '0.1.0', commitUrl: URL_ })).toBe(expected);
  });

  it('reads name, version, dynamic and urls from the fixture pyproject', () => {
    const info = readPyproject(FIXTURE_PYPROJECT);
    expect(info).toMatchObject({ name: 'ameide-sdk-python', version: '0.0.0', dynamic: [], buildRequires: ['hatchling'] });
    expect(repositoryUrlFrom(info)).toBe('https://github.com/ameideio/ameide');
    expect(commitUrl('https://github.com/o/r.git/', SHA)).toBe(`https://github.com/o/r/commit/${SHA}`);
  });
});

describe('pack guards', () => {
  const guard = (text: string) => () => checkPlaceholderVersion(readPyproject(text, 'packages/p/pyproject.toml'), 'packages/p/pyproject.toml');
  const rows: { name: string; text: string; message: RegExp }[] = [
    { name: 'a real version instead of the placeholder', text: '[project]\nname = "p"\nversion = "1.2.3"\n', message: /packages\/p\/pyproject.toml: \[project\] version is "1.2.3", not the 0.0.0 placeholder[\s\S]*fix: set version = "0.0.0"/ },
    { name: 'a dynamic version (multi-line array)', text: '[project]\nname = "p"\ndynamic = [\n  "readme",\n  "version",\n]\n', message: /version is dynamic[\s\S]*fix: remove "version" from \[project\] dynamic/ },
    { name: 'no version at all', text: '[project]\nname = "p"\n', message: /\[project\] has no version/ },
    { name: 'inline urls that a table cannot extend', text: '[project]\nname = "p"\nversion = "0.0.0"\nurls = { Home = "https://x" }\n', message: /urls inline[\s\S]*fix: move the urls into a \[project.urls\] table/ },
  ];
  it.each(rows)('refuses $name', ({ text, message }) => {
    expect(guard(text)).toThrow(ReleaseError);
    expect(guard(text)).toThrow(message);
  });
  it('refuses a pyproject without [project]', () => {
    expect(() => readPyproject('[tool.poetry]\nname = "p"\n', 'x/pyproject.toml')).toThrow(/x\/pyproject.toml: has no \[project\] table/);
  });
  it('accepts the placeholder', () => {
    expect(guard(FIXTURE_PYPROJECT)).not.toThrow();
  });

  it.each([
    ['0.1.0.dev20251113153211', null],
    ['1.2.3', null],
    ['1.2.3rc1', null],
    ['0.1.0.dev20251113+g71e210b', /\+local segment/],
    ['not-a-version', /not a valid PEP 440 version/],
    ['', /not a valid PEP 440 version/],
  ])('PYPI_VERSION %j', (v, error) => {
    if (error) expect(() => checkPypiVersion(v)).toThrow(error);
    else expect(() => checkPypiVersion(v)).not.toThrow();
  });

  it('sourceDateEpoch is the commit time in seconds, never the clock', () => {
    expect(sourceDateEpoch('2025-11-13T15:32:11Z')).toBe('1763047931');
    expect(() => sourceDateEpoch('yesterday')).toThrow(ReleaseError);
  });
});

describe('_build_info.py stamping', () => {
  it('rewrites only the two lines', () => {
    const src = '"""Build info."""\nVERSION = "0.0.0"\nGIT_SHA = "unknown"\n__all__ = ["VERSION"]\n';
    expect(stampBuildInfo(src, { version: '0.1.0', gitSha: SHA })).toBe(`"""Build info."""\nVERSION = "0.1.0"\nGIT_SHA = "${SHA}"\n__all__ = ["VERSION"]\n`);
  });
  it('refuses a file whose VERSION is not the placeholder, naming it', () => {
    expect(() => stampBuildInfo('VERSION = "9.9.9"\nGIT_SHA = "unknown"\n', { version: '1', gitSha: SHA }, 'p/_build_info.py')).toThrow(/p\/_build_info.py: VERSION is "9.9.9"/);
  });
  it('refuses a file missing GIT_SHA', () => {
    expect(() => stampBuildInfo('VERSION = "0.0.0"\n', { version: '1', gitSha: SHA })).toThrow(/must hold/);
  });
});

describe('names and index pages', () => {
  it('normalizes the way PEP 503 and wheel filenames do', () => {
    expect(normalizeProjectName('Ameide_SDK.Python')).toBe('ameide-sdk-python');
    expect(distributionStem('ameide-sdk-python')).toBe('ameide_sdk_python');
    expect(isFileOfVersion('ameide_sdk_python-1.0.0-py3-none-any.whl', 'ameide-sdk-python', '1.0.0')).toBe(true);
    expect(isFileOfVersion('ameide_sdk_python-1.0.0.tar.gz', 'ameide-sdk-python', '1.0.0')).toBe(true);
    expect(isFileOfVersion('ameide_sdk_python-1.0.0.post1.tar.gz', 'ameide-sdk-python', '1.0.0')).toBe(false);
  });

  it('parses a pypiserver page (kept as a fixture of its real output)', () => {
    const html = `<html><body><h1>Links for ameide-sdk-python</h1>
      <a href="/packages/ameide_sdk_python-0.0.0-py3-none-any.whl#sha256=a926c66acd84a32bb08ea0cd03d62cfafb706d70140ab035f2a7925976bc0286">ameide_sdk_python-0.0.0-py3-none-any.whl</a><br>
      <a href="../../packages/ameide_sdk_python-0.0.0.tar.gz">ameide_sdk_python-0.0.0.tar.gz</a><br></body></html>`;
    expect(parseSimplePage(html, 'http://127.0.0.1:9/simple/ameide-sdk-python/')).toEqual([
      { filename: 'ameide_sdk_python-0.0.0-py3-none-any.whl', url: 'http://127.0.0.1:9/packages/ameide_sdk_python-0.0.0-py3-none-any.whl', sha256: 'a926c66acd84a32bb08ea0cd03d62cfafb706d70140ab035f2a7925976bc0286' },
      { filename: 'ameide_sdk_python-0.0.0.tar.gz', url: 'http://127.0.0.1:9/packages/ameide_sdk_python-0.0.0.tar.gz', sha256: null },
    ]);
  });

  it('locates one planned file on the index: same name with its sha256 -> same or other bytes; absent -> the other files of this version', () => {
    const planned = ['dist/p/ameide_sdk_python-1.0.0-py3-none-any.whl', 'dist/p/ameide_sdk_python-1.0.0.tar.gz'];
    const wheel = { file: planned[0], sha256: 'a'.repeat(64), name: 'ameide-sdk-python', version: '1.0.0' };
    const sdist = { file: planned[1], sha256: 'b'.repeat(64), name: 'ameide-sdk-python', version: '1.0.0' };
    const remote = [
      { filename: 'ameide_sdk_python-1.0.0-py3-none-any.whl', url: 'u1', sha256: 'a'.repeat(64) },
      { filename: 'ameide_sdk_python-1.0.0-cp311-cp311-linux_x86_64.whl', url: 'u2', sha256: 'c'.repeat(64) },
      { filename: 'ameide_sdk_python-0.9.0.tar.gz', url: 'u3', sha256: 'd'.repeat(64) },
    ];
    expect(locate(wheel, planned, remote)).toEqual({ file: remote[0], sameBytes: true });
    expect(locate(sdist, planned, remote)).toEqual({ file: null, others: [remote[1]] });
    expect(locate(wheel, planned, [{ ...remote[0], sha256: 'e'.repeat(64) }])).toEqual({ file: expect.anything(), sameBytes: false });
    expect(locate(wheel, planned, [{ ...remote[0], sha256: null }])).toEqual({ file: expect.anything() }); // no sha256 listed: bytes unknown
  });
});

describe('upload failures', () => {
  it('reads status and the server message from uv publish output (pypiserver 409, kept verbatim)', () => {
    const out = `error: Failed to publish \`x.whl\` to \`http://127.0.0.1:1/\`
  cause: Server returned status code 409 Conflict. Server says:
             <html><body><h1>Error: 409 Conflict</h1>
                     <pre>Package &#039;x.whl&#039; already exists!
           You may start server with \`--overwrite\` option.</pre></body></html>`;
    expect(parseUploadFailure(out)).toEqual({
      status: 409,
      message: "Package 'x.whl' already exists! You may start server with `--overwrite` option.",
      alreadyExists: true,
    });
    expect(parseUploadFailure('cause: Server returned status code 403 Forbidden. Server says:\n<pre>None</pre>')).toMatchObject({ status: 403, alreadyExists: false });
    expect(parseUploadFailure('cause: tcp connect error\ncause: Connection refused (os error 111)').status).toBeNull();
  });
});

describe('retry policy for uploads', () => {
  it.each([
    ['a 503 from the index', new UploadError(503, 'Service Unavailable', false, 'HTTP 503'), true],
    ['a 429 rate limit', new UploadError(429, 'slow down', false, 'HTTP 429'), true],
    ['connection refused (no status)', new UploadError(null, '', false, 'cause: Connection refused (os error 111) ECONNREFUSED'), true],
    ['a 403 bad password', new UploadError(403, 'None', false, 'HTTP 403'), false],
    ['a 400 invalid metadata', new UploadError(400, 'Invalid distribution', false, 'HTTP 400'), false],
    ['a 409 already exists', new UploadError(409, 'already exists', true, 'HTTP 409'), false],
  ])('%s -> transient %s', (_name, err, transient) => {
    expect(isTransientUpload(err)).toBe(transient);
  });
});

describe('plan', () => {
  const manifest: PackManifest = {
    project: 'ameide-sdk-python',
    name: 'ameide-sdk-python',
    ecosystem: 'pypi',
    version: '0.1.0.dev20251113153211',
    gitSha: SHA,
    channel: 'dev',
    files: [
      { file: 'dist/ameide-sdk-python/ameide_sdk_python-0.1.0.dev20251113153211-py3-none-any.whl', sha256: '1'.repeat(64), kind: 'wheel' },
      { file: 'dist/ameide-sdk-python/ameide_sdk_python-0.1.0.dev20251113153211.tar.gz', sha256: '2'.repeat(64), kind: 'sdist' },
    ],
  };
  const input = (over: Partial<PublishInput> = {}): PublishInput => ({
    workspaceRoot: '/nowhere',
    manifest,
    context: devContext(),
    destinations: { pypi: { uploadUrl: 'http://127.0.0.1:1/', indexUrl: 'http://127.0.0.1:1/simple/' } },
    env: { PYPI_PASSWORD: 'plan-secret-xyz', PYPI_USERNAME: 'u' },
    log: () => undefined,
    ...over,
  });
  it('one artifact per file (data): id, destination, version, kind, sha256; no secret', () => {
    const plan = pypiSteps().plan(input());
    expect(plan).toEqual([
      { id: 'ameide-sdk-python==0.1.0.dev20251113153211 (ameide_sdk_python-0.1.0.dev20251113153211-py3-none-any.whl)', ecosystem: 'pypi', name: 'ameide-sdk-python', version: '0.1.0.dev20251113153211', registry: 'http://127.0.0.1:1/simple/', kind: 'wheel', file: manifest.files[0].file, sha256: '1'.repeat(64), tags: [] },
      { id: 'ameide-sdk-python==0.1.0.dev20251113153211 (ameide_sdk_python-0.1.0.dev20251113153211.tar.gz)', ecosystem: 'pypi', name: 'ameide-sdk-python', version: '0.1.0.dev20251113153211', registry: 'http://127.0.0.1:1/simple/', kind: 'sdist', file: manifest.files[1].file, sha256: '2'.repeat(64), tags: [] },
    ]);
    expect(JSON.stringify(plan)).not.toContain('plan-secret-xyz');
  });
});
