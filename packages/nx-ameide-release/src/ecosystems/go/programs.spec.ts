import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import { MODULE_PLACEHOLDER, programDir, writeProgram } from './programs';
import { smokeProgramFiles } from './smoke';

/** The Go programs are real files: found in the source tree and in the compiled build, and they build with real go. */
jest.setTimeout(240_000);

const PKG = join(__dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'ameide-go-programs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the Go programs shipped with the plugin', () => {
  it('are found next to the compiled code of the build (scripts/build.js), byte for byte, and the package ships them', () => {
    const out = join(tmp, 'build');
    execFileSync(process.execPath, [join(PKG, 'scripts/build.js'), out], { stdio: 'pipe' });
    // The compiled module, loaded by plain Node as a consumer's Nx would: no ts, no jest.
    const found = execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(join(out, 'src/ecosystems/go/programs.js'))}).programDir('smoke'))`], { encoding: 'utf8' });
    expect(found).toBe(join(out, 'src/ecosystems/go/programs/smoke'));
    const source = programDir('smoke');
    expect(readdirSync(found).sort()).toEqual(readdirSync(source).sort());
    for (const f of readdirSync(source)) expect(readFileSync(join(found, f)).equals(readFileSync(join(source, f)))).toBe(true);
    // What `npm pack` of the built package takes (package.json "files"): the programs are in it.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: out, encoding: 'utf8' }))[0].files.map((f: { path: string }) => f.path);
    expect(packed).toEqual(expect.arrayContaining(['src/ecosystems/go/programs/smoke/go.mod', 'src/ecosystems/go/programs/smoke/main.go', 'src/ecosystems/go/programs/smoke/client.go', 'src/ecosystems/go/programs/smoke/buildinfo.go']));
  });

  it('a missing program folder is named with the fix, not a bare ENOENT', () => {
    expect(() => programDir('smoke', join(tmp, 'nowhere'))).toThrow(ReleaseError);
    expect(() => programDir('smoke', join(tmp, 'nowhere'))).toThrow(/Go program 'smoke' of the plugin is missing[\s\S]*reinstall @ameideio\/nx-ameide-release/);
  });
});

describe('the smoke consumer program (programs/smoke), built by real go against SDKs of each shape', () => {
  const SDK = 'example.com/acme/sdk-go';
  const NEW = 'type Options struct{ BaseURL string }\ntype Client struct{}\n\nfunc New(opts Options) (*Client, error) { return &Client{}, nil }\n';
  const CLOSE = 'func (c *Client) Close() error { println("closed"); return nil }\n';
  const INFO = 'type Info struct{ Version, SourceSHA string }\n\nfunc BuildInfo() Info { return Info{"v1.2.3", "abc"} }\n';
  const rows: { name: string; sdk: string; files: string[]; stdout: string; stderr: string }[] = [
    { name: 'an SDK with neither New nor BuildInfo is imported only', sdk: 'func Hello() {}\n', files: ['go.mod', 'main.go'], stdout: `imported ${SDK}`, stderr: '' },
    { name: 'New without Close: a client is constructed', sdk: NEW, files: ['go.mod', 'main.go', 'client.go'], stdout: `constructed a ${SDK} client`, stderr: '' },
    { name: 'New with Close: constructed and closed', sdk: NEW + CLOSE, files: ['go.mod', 'main.go', 'client.go'], stdout: `constructed a ${SDK} client`, stderr: 'closed' },
    { name: 'BuildInfo alone is printed with its field names', sdk: INFO, files: ['go.mod', 'main.go', 'buildinfo.go'], stdout: '{Version:v1.2.3 SourceSHA:abc}', stderr: '' },
    { name: 'New, Close and BuildInfo (the payload SDK)', sdk: NEW + CLOSE + INFO, files: ['go.mod', 'main.go', 'client.go', 'buildinfo.go'], stdout: '{Version:v1.2.3 SourceSHA:abc}', stderr: 'closed' },
  ];
  it.each(rows)('$name', ({ name, sdk, files, stdout, stderr }) => {
    const dir = join(tmp, name.replace(/\W+/g, '-'));
    mkdirSync(join(dir, 'sdk'), { recursive: true });
    writeFileSync(join(dir, 'sdk', 'go.mod'), `module ${SDK}\n\ngo 1.22\n`);
    writeFileSync(join(dir, 'sdk', 'sdk.go'), `package sdk\n\n${sdk}`);
    expect(smokeProgramFiles(sdk)).toEqual(files);
    writeProgram('smoke', files, join(dir, 'consumer'), SDK);
    expect(readFileSync(join(dir, 'consumer', 'main.go'), 'utf8')).not.toContain(MODULE_PLACEHOLDER);
    // The test's SDK is a local folder; the smoke itself requires the tag from the mirror.
    appendFileSync(join(dir, 'consumer', 'go.mod'), `\nrequire ${SDK} v0.0.0\n\nreplace ${SDK} => ../sdk\n`);
    const env = { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOPROXY: 'off', GOPATH: join(tmp, 'gopath') };
    const r = spawnSync('go', ['run', '.'], { cwd: join(dir, 'consumer'), env, encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout.trim() }).toEqual({ status: 0, stdout });
    expect(r.stderr.trim()).toBe(stderr);
  });
});
