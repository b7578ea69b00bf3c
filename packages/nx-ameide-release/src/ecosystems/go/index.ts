import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run, runOrThrow } from '../../exec';
import { ReleaseError } from '../../errors';
import { goRegistry } from '../../registries';
import { withRetry } from '../../retry';
import type { VersionContext } from '../../version/types';
import type { ArtifactFile, CheckInput, EcosystemAdapter, Finding, LookupResult, PackInput, PackManifest, PublishInput, PublishOutcome } from '../types';
import * as semver from 'semver';
import { checkPushAccess, commitTagPush, isPushRace, isTransientGitError, lsRemoteRef, lsRemoteTags, mirrorBranchFor, readRemoteTag, redactRemote } from './git';
import { gitEnv } from '../../git/env';
import { findingOf } from '../../findings';
import { checkModulePath, checkPathMajor, escapeModulePath, GO_TAG_RE, goLang, modulePseudoVersion } from './module';
import { parseGoMod, replaces, retractionOf, type ModFile } from './modfile';
import { hash1, MAX_ZIP_FILE, readFiles, readZip, selectModuleFiles, writeZip, type ZipEntry } from './modzip';
import { sha256Hex as sha256 } from '../../hash';
import { findTool } from '../../tools';

/**
 * Go: the module is packed in GOPROXY layout (what `GOPROXY=file://…` serves) and published
 * by syncing exactly the zip's files into the SDK's own repository as one commit recording
 * the source SHA, tagged vX.Y.Z. Go versions exist on the release channel only: on dev and
 * build the same zip is packed under the commit's pseudo-version (GO_PSEUDO_VERSION), so the
 * dev image carries the module source at that SHA, but nothing goes to the mirror.
 */

/** The pack manifest of a Go module: the h1: hashes go.sum will record, so publish and smoke can prove what consumers get. */
export interface GoPackManifest extends PackManifest {
  go?: { module: string; h1: string; goModH1: string; commitTime: string };
}

export const BUILDINFO_FILE = 'buildinfo.go';
const SHA_PLACEHOLDER = /(\bsourceSHA\s*=\s*)"unknown"/g;
const BOT = { name: 'ameide-release-bot', email: 'release-bot@ameide.io' };


/**
 * The pack guards, pure: what is wrong with this go.mod for this version, with the fix.
 * `version` is GO_VERSION ('' outside the release channel: path syntax and replace are
 * still checked so a PR fails early, the major only once there is a version).
 */
export function goModProblems(mod: ModFile, version: string): { what: string; fix: string }[] {
  const out: { what: string; fix: string }[] = [];
  if (!mod.module) return [{ what: 'no module directive', fix: 'start go.mod with `module github.com/<org>/<repo>`' }];
  const pathErr = checkModulePath(mod.module);
  if (pathErr) out.push({ what: `module path ${mod.module} is invalid: ${pathErr}`, fix: 'use a path like github.com/<org>/<repo>, with /vN only for N >= 2' });
  for (const r of replaces(mod)) {
    out.push({
      what: `replace directive on line ${r.line} (${r.args.join(' ')}): consumers ignore replace, so the published module would not build as tested`,
      fix: 'remove the replace (publish the replaced module and require its version, or use a go.work file for local development)',
    });
  }
  if (version) {
    if (!GO_TAG_RE.test(version)) {
      out.push({ what: `GO_VERSION ${version} is not a canonical Go version`, fix: 'release from a tag vMAJOR.MINOR.PATCH' });
    } else {
      const majorErr = !pathErr && checkPathMajor(mod.module, version);
      if (majorErr) {
        const major = Number(GO_TAG_RE.exec(version)![1]);
        const base = mod.module.replace(/\/v[0-9]+$/, '');
        out.push({ what: `module path ${mod.module} does not fit ${version}: ${majorErr}`, fix: `set \`module ${major >= 2 ? `${base}/v${major}` : base}\` in go.mod (and update the imports), or tag a version whose major matches the path` });
      }
      const retracted = retractionOf(mod, version);
      if (retracted) {
        out.push({ what: `${version} is retracted on line ${retracted.line} (retract ${retracted.args.join(' ')})`, fix: `release another version, or drop ${version} from the retract directive` });
      }
    }
  }
  return out;
}

function readGoMod(workspaceRoot: string, projectRoot: string): { mod: ModFile; text: Buffer; where: string } {
  const where = join(projectRoot, 'go.mod');
  const file = join(workspaceRoot, where);
  if (!existsSync(file)) throw new ReleaseError('no go.mod in the project', 'run `go mod init <module path>` in the project root', where);
  const text = readFileSync(file);
  try {
    return { mod: parseGoMod(text.toString('utf8')), text, where };
  } catch (e) {
    throw new ReleaseError(`go.mod cannot be parsed: ${(e as Error).message}`, 'fix the syntax (`go mod edit -fmt` shows the problem)', where);
  }
}

/** Files of the module directory: git's view (tracked + untracked not ignored) when it is a work tree, else a walk. */
async function candidateFiles(dir: string): Promise<string[]> {
  const r = await run({ command: 'git', args: ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.'], cwd: dir, env: gitEnv({}) });
  if (r.exitCode === 0) return [...new Set(r.stdout.split('\0').filter(Boolean))];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!['.git', '.hg', '.bzr', '.svn'].includes(e.name)) walk(p);
      } else out.push(p);
    }
  };
  walk('');
  return out;
}

const skippedReason = (ctx: VersionContext) =>
  `Go publishes no version on the ${ctx.CHANNEL} channel (only a vX.Y.Z release tags the mirror)${ctx.CHANNEL === 'dev' ? '; the module zip at this SHA goes into the dev image only' : ''}`;

function artifact(workspaceRoot: string, file: string, data: Buffer | string, kind: string): ArtifactFile {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  return { file: relative(workspaceRoot, file).split('\\').join('/'), sha256: sha256(data), kind };
}

async function pack(input: PackInput): Promise<GoPackManifest> {
  const { workspaceRoot, projectRoot, project, context: ctx, outDir, log } = input;
  const { mod, where } = readGoMod(workspaceRoot, projectRoot);
  const problems = goModProblems(mod, ctx.GO_VERSION);
  if (problems.length) throw new ReleaseError(problems.map((p) => p.what).join('\n  '), problems.map((p) => p.fix).join('\n  '), where);
  const modulePath = mod.module!;
  // Release: the tag. Dev and build: Go's pseudo-version of this commit (zipped, never published).
  const release = ctx.CHANNEL === 'release';
  const version = release ? ctx.GO_VERSION : modulePseudoVersion(modulePath, ctx.GO_PSEUDO_VERSION);
  const base: GoPackManifest = { project, name: modulePath, ecosystem: 'go', version, gitSha: ctx.GIT_SHA, channel: ctx.CHANNEL, files: [] };
  if (!version) return { ...base, skipped: `no Go version for this commit on the ${ctx.CHANNEL} channel (GO_VERSION and GO_PSEUDO_VERSION are empty)` };

  const srcDir = join(workspaceRoot, projectRoot);
  const sel = selectModuleFiles(srcDir, await candidateFiles(srcDir), goLang(mod.go), (p) =>
    p === 'project.json' ? 'Nx project file (workspace metadata, not module content)' : null,
  );
  if (sel.invalid.length || sel.sizeError) {
    const list = sel.invalid.map((f) => `${join(projectRoot, f.path)}: ${f.reason}`);
    throw new ReleaseError(
      `the module cannot be zipped by Go's rules:\n  ${[...list, ...(sel.sizeError ? [sel.sizeError] : [])].join('\n  ')}`,
      'rename or remove the files listed (module zips need portable, case-insensitively unique names and stay under 500 MiB)',
      where,
    );
  }
  for (const o of sel.omitted) log(`omitted ${o.path}: ${o.reason}`);
  if (!/^[0-9a-f]{40}$/.test(ctx.GIT_SHA)) throw new ReleaseError(`GIT_SHA ${ctx.GIT_SHA} is not 40 hex`, 'compute the context from a git checkout');

  // The stamped temp copy: the repository keeps sourceSHA = "unknown".
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-go-pack-'));
  try {
    for (const p of sel.valid) {
      mkdirSync(dirname(join(tmp, p)), { recursive: true });
      copyFileSync(join(srcDir, p), join(tmp, p));
    }
    if (sel.valid.includes(BUILDINFO_FILE)) {
      const file = join(tmp, BUILDINFO_FILE);
      const text = readFileSync(file, 'utf8');
      const hits = text.match(SHA_PLACEHOLDER)?.length ?? 0;
      if (hits !== 1) {
        throw new ReleaseError(
          `${BUILDINFO_FILE} must contain exactly one \`sourceSHA = "unknown"\` placeholder (found ${hits})`,
          'keep `const sourceSHA = "unknown"` in the repository; pack writes the commit SHA into a temp copy',
          join(projectRoot, BUILDINFO_FILE),
        );
      }
      writeFileSync(file, text.replace(SHA_PLACEHOLDER, `$1"${ctx.GIT_SHA}"`));
    } else {
      log(`no ${BUILDINFO_FILE} in ${projectRoot}: the source SHA is recorded only in the mirror commit`);
    }
    const files = readFiles(tmp, sel.valid);
    const prefix = `${modulePath}@${version}/`;
    const entries: ZipEntry[] = files.map((f) => ({ name: prefix + f.name, data: f.data }));
    const zip = writeZip(entries, ctx.COMMIT_TIME);
    if (zip.length > MAX_ZIP_FILE) throw new ReleaseError(`module zip is ${zip.length} bytes (max ${MAX_ZIP_FILE})`, 'remove large files from the module', where);
    const goMod = files.find((f) => f.name === 'go.mod')!.data;

    const vdir = join(outDir, 'goproxy', escapeModulePath(modulePath), '@v');
    const ev = escapeModulePath(version);
    const info = JSON.stringify({ Version: version, Time: new Date(ctx.COMMIT_TIME).toISOString().replace(/\.000Z$/, 'Z') });
    const out = [
      artifact(workspaceRoot, join(vdir, `${ev}.info`), `${info}\n`, 'go-info'),
      artifact(workspaceRoot, join(vdir, `${ev}.mod`), goMod, 'go-mod'),
      artifact(workspaceRoot, join(vdir, `${ev}.zip`), zip, 'go-zip'),
      // The GOPROXY protocol lists known versions, never pseudo-versions: empty on dev and build.
      artifact(workspaceRoot, join(vdir, 'list'), release ? `${version}\n` : '', 'go-list'),
    ];
    const h1 = hash1(entries);
    const goModH1 = hash1([{ name: 'go.mod', data: goMod }]);
    log(`${modulePath} ${version} ${h1}`);
    return { ...base, files: out, go: { module: modulePath, h1, goModH1, commitTime: ctx.COMMIT_TIME } };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Why this run pushes nothing to the mirror (dev and build: a pseudo-version is never published), or null. */
function releaseOnly(input: PublishInput): string | null {
  if (input.context.CHANNEL !== 'release' || !input.context.GO_VERSION) return skippedReason(input.context);
  if (input.manifest.skipped) return input.manifest.skipped;
  return null;
}

function tagOf(manifest: PackManifest): string {
  if (!GO_TAG_RE.test(manifest.version)) {
    throw new ReleaseError(`pack manifest version ${manifest.version} is not a Go tag`, `re-run pack for ${manifest.project} on the release tag`);
  }
  return manifest.version;
}

/** The packed module's files (zip prefix stripped): the mirror's tree is exactly the zip. */
function packedFiles(input: PublishInput): ZipEntry[] {
  const { manifest, workspaceRoot } = input;
  const zipFile = manifest.files.find((f) => f.kind === 'go-zip');
  if (!zipFile) throw new ReleaseError(`pack manifest of ${manifest.project} lists no go-zip`, `run pack for ${manifest.project} first`);
  const abs = join(workspaceRoot, zipFile.file);
  if (!existsSync(abs)) throw new ReleaseError(`${zipFile.file} is missing`, `run pack for ${manifest.project} first`);
  const data = readFileSync(abs);
  if (sha256(data) !== zipFile.sha256) throw new ReleaseError(`${zipFile.file} does not match its sha256 in the pack manifest`, `re-run pack for ${manifest.project}`);
  const prefix = `${manifest.name}@${manifest.version}/`;
  return readZip(data).map((e) => {
    if (!e.name.startsWith(prefix)) throw new ReleaseError(`${zipFile.file} holds ${e.name} outside ${prefix}`, `re-run pack for ${manifest.project}`);
    return { name: e.name.slice(prefix.length), data: e.data };
  });
}

function checkSameSha(input: PublishInput) {
  if (input.manifest.gitSha !== input.context.GIT_SHA) {
    throw new ReleaseError(
      `pack manifest of ${input.manifest.project} is from ${input.manifest.gitSha}, but HEAD is ${input.context.GIT_SHA}`,
      `re-run pack for ${input.manifest.project} on this commit`,
    );
  }
}

async function lookup(input: PublishInput): Promise<LookupResult> {
  const tag = tagOf(input.manifest);
  const { remote } = mirror(input);
  const facts = await withRetry(() => readRemoteTag(remote, tag, gitEnv(input.env)), isTransientGitError);
  return facts ? { state: 'present', gitSha: facts.sourceSha } : { state: 'absent' };
}

/** The highest tag of the same vX.Y line below `tag` in the mirror: where a new release/vX.Y branch starts. */
async function lineStart(remote: string, tag: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const m = GO_TAG_RE.exec(tag);
  if (!m) return undefined;
  const line = (await lsRemoteTags(remote, `v${m[1]}.${m[2]}.*`, env)).map((t) => t.tag).filter((t) => semver.valid(t) && semver.lt(t, tag));
  return line.sort(semver.rcompare)[0];
}

/** Present-from-same-SHA is done; present from another SHA (or from no recorded SHA) is refused, naming both. */
function outcomeOfPresent(found: LookupResult & { state: 'present' }, input: PublishInput, tag: string, remote: string): PublishOutcome {
  const ours = input.manifest.gitSha;
  if (found.gitSha === ours) return { status: 'already-published', detail: `${tag} already in ${redactRemote(remote)} from ${ours}` };
  throw new ReleaseError(
    `tag ${tag} already exists in ${redactRemote(remote)} from source ${found.gitSha ?? '(no Source-SHA trailer: not made by this release tool)'}, not from ${ours}`,
    `tags are never moved: release a new version (e.g. the next patch) from ${ours}`,
  );
}

async function publish(input: PublishInput): Promise<PublishOutcome> {
  const skip = releaseOnly(input);
  if (skip) return { status: 'skipped', reason: skip };
  checkSameSha(input);
  const tag = tagOf(input.manifest);
  const { remote, branch: defaultBranch } = mirror(input);
  const branch = mirrorBranchFor(tag, input.context.IS_HIGHEST_RELEASE, defaultBranch);
  const files = packedFiles(input);
  const env = gitEnv(input.env);
  const identity = {
    name: input.env.GIT_COMMITTER_NAME || input.env.GIT_AUTHOR_NAME || BOT.name,
    email: input.env.GIT_COMMITTER_EMAIL || input.env.GIT_AUTHOR_EMAIL || BOT.email,
  };
  // Each attempt re-reads the remote: a lost race (branch moved, tag appeared) is decided again, never forced.
  return withRetry(
    async (attempt) => {
      if (attempt > 1) input.log(`retrying the Go mirror push (attempt ${attempt})`);
      const found = await lookup(input);
      if (found.state === 'present') return outcomeOfPresent(found, input, tag, remote);
      const startFrom = branch === defaultBranch ? undefined : await lineStart(remote, tag, env);
      const { commit, reused } = await commitTagPush(
        {
          remote,
          branch,
          startFrom,
          tag,
          files,
          sourceSha: input.manifest.gitSha,
          sourceRef: input.context.REF || undefined,
          commitTime: input.context.COMMIT_TIME,
          identity,
          subject: `${input.manifest.name} ${tag}`,
        },
        env,
        input.log,
      );
      return {
        status: 'published',
        detail: `${tag} -> ${commit}${reused ? ' (existing branch commit)' : ''} on ${branch} of ${redactRemote(remote)}, Source-SHA ${input.manifest.gitSha}`,
      };
    },
    (e) => isTransientGitError(e) || isPushRace(e),
  );
}

/**
 * Go's own preflight checks, all of them, without writing: every go.mod problem (path, major,
 * replace, retract), and on the release channel the mirror reachable with the credentials git
 * has (git ls-remote, then `git push --dry-run` of a throwaway commit: push rights, no write) and
 * the tag not held by another source SHA.
 */
async function checks(input: CheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  try {
    const { mod, where } = readGoMod(input.workspaceRoot, input.projectRoot);
    for (const p of goModProblems(mod, input.context.GO_VERSION)) out.push({ check: 'guard', problem: `${where}: ${p.what}`, fix: p.fix });
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  if (input.context.CHANNEL !== 'release' || !input.context.GO_VERSION) return out; // dev and build publish no Go versions
  const { remote, branch } = mirror(input);
  try {
    await lsRemoteRef(remote, `refs/heads/${branch}`, gitEnv(input.env));
    await checkPushAccess(remote, gitEnv(input.env));
  } catch (e) {
    const last = (e as Error).message.split('\n').filter(Boolean).slice(-1)[0];
    const auth = /Authentication failed|returned error: 40[13]|Permission denied|could not read Username/i.test((e as Error).message);
    out.push({
      check: auth ? 'credentials' : 'destination',
      problem: `the Go mirror ${redactRemote(remote)} ${auth ? 'refused the credentials git has for it' : 'is not reachable for reading and pushing'} (${last})`,
      fix: auth
        ? `check them with \`git ls-remote ${redactRemote(remote)}\` (a credential helper, or GIT_CONFIG_* for the CI token)`
        : 'check destinations.go.remote (docs/destinations.md; AMEIDE_GO_REMOTE overrides it) and give git credentials for it (a credential helper, or GIT_CONFIG_* insteadOf for a local mirror)',
    });
    return out;
  }
  if (!input.manifest || input.manifest.skipped || !GO_TAG_RE.test(input.manifest.version)) return out;
  const found = await lookup({ ...input, manifest: input.manifest });
  if (found.state === 'present' && found.gitSha !== input.context.GIT_SHA) {
    try {
      outcomeOfPresent(found, { ...input, manifest: input.manifest }, input.manifest.version, remote);
    } catch (e) {
      out.push(findingOf('version', e));
    }
  }
  return out;
}

function plan(input: PublishInput): string[] {
  const skip = releaseOnly(input);
  const { remote, branch: defaultBranch } = mirror(input);
  if (skip) return [`go ${input.manifest.name}: skipped (${skip})`];
  const branch = mirrorBranchFor(input.manifest.version, input.context.IS_HIGHEST_RELEASE, defaultBranch);
  const g = (input.manifest as GoPackManifest).go;
  return [
    `go ${input.manifest.name} ${input.manifest.version}`,
    `  mirror ${redactRemote(remote)} branch ${branch}: one commit with the module files (Source-SHA: ${input.manifest.gitSha}), annotated tag ${input.manifest.version}`,
    ...(g ? [`  go.sum: ${g.module} ${input.manifest.version} ${g.h1}`] : []),
  ];
}

/**
 * The consumer program: constructs a client when the SDK has the payload's `New(Options)`
 * (no network: nothing is called), prints BuildInfo() when it exists, else only imports the package.
 */
export function smokeProgram(mod: string, sources: string): string {
  const hasNew = /^func New\(opts Options\) \(\*Client, error\)/m.test(sources);
  const hasClose = /^func \(c \*Client\) Close\(\) error/m.test(sources);
  const hasInfo = /^func BuildInfo\(\)/m.test(sources);
  if (!hasNew && !hasInfo) return `package main\n\nimport (\n\t"fmt"\n\n\t_ "${mod}"\n)\n\nfunc main() { fmt.Println("imported ${mod}") }\n`;
  const body = [
    ...(hasNew
      ? [
          '\tc, err := sdk.New(sdk.Options{BaseURL: "http://127.0.0.1:9"})',
          '\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}',
          ...(hasClose ? ['\tdefer c.Close()'] : ['\t_ = c']),
        ]
      : []),
    hasInfo ? '\tfmt.Printf("%+v\\n", sdk.BuildInfo())' : `\tfmt.Println("constructed a ${mod} client")`,
  ];
  return `package main\n\nimport (\n\t"fmt"\n\t"os"\n\n\tsdk "${mod}"\n)\n\nvar _ = os.Exit\n\nfunc main() {\n${body.join('\n')}\n}\n`;
}

/** The mirror remote and branch; credentials in the remote URL are registered for redaction before any git runs. */
function mirror(input: Pick<PublishInput, 'env' | 'destinations'>): { remote: string; branch: string } {
  const { remote, branch } = goRegistry(input.env, input.destinations);
  redactRemote(remote);
  return { remote, branch };
}

/** Parent of the module path used for GOPRIVATE / GONOSUMDB (github.com/ameideio for github.com/ameideio/ameide-sdk-go). */
const privatePrefix = (modulePath: string) => modulePath.split('/').slice(0, 2).join('/');

/**
 * Consume the tag as a user would, straight from the repository (GOPROXY=direct), in a temp module
 * with its own GOPATH so no cached copy can stand in for the mirror. Checks go.sum's h1: against the
 * packed zip's, the stamped SHA, and that a program importing the module builds and runs.
 */
async function smoke(input: PublishInput): Promise<void | { skipped: string }> {
  const skip = releaseOnly(input);
  if (skip) return { skipped: skip };
  const { manifest, context: ctx, log } = input;
  const mod = manifest.name;
  const tag = tagOf(manifest);
  const goBin = findTool('go', { ...process.env, ...input.env }, input.workspaceRoot);
  const dir = mkdtempSync(join(tmpdir(), 'ameide-go-smoke-'));
  const gopath = join(dir, 'gopath');
  const env = {
    ...gitEnv(input.env),
    GOWORK: 'off',
    GOFLAGS: '-mod=mod -modcacherw',
    GOPROXY: 'direct',
    GONOSUMDB: privatePrefix(mod),
    GOPRIVATE: privatePrefix(mod),
    GOPATH: gopath,
    GOMODCACHE: join(gopath, 'pkg', 'mod'),
    GOTOOLCHAIN: 'local',
  };
  const go = (args: string[]) => runOrThrow({ command: goBin, args, cwd: join(dir, 'consumer'), env });
  try {
    mkdirSync(join(dir, 'consumer'));
    writeFileSync(join(dir, 'consumer', 'go.mod'), 'module example.com/ameide-go-smoke\n\ngo 1.22\n');
    await withRetry(() => go(['get', `${mod}@${tag}`]), isTransientGitError);
    const sum = readFileSync(join(dir, 'consumer', 'go.sum'), 'utf8');
    const h1 = new RegExp(`^${mod.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${tag} (h1:\\S+)$`, 'm').exec(sum)?.[1];
    const packed = (manifest as GoPackManifest).go?.h1;
    if (packed && h1 !== packed) throw new Error(`go.sum records ${mod} ${tag} ${h1}, but the packed zip is ${packed}: the mirror's tag does not hold the packed files`);
    const modDir = JSON.parse((await go(['list', '-m', '-json', `${mod}@${tag}`])).stdout).Dir as string;
    const buildinfo = join(modDir, BUILDINFO_FILE);
    const hasBuildInfoFile = existsSync(buildinfo);
    if (hasBuildInfoFile && !readFileSync(buildinfo, 'utf8').includes(`"${ctx.GIT_SHA}"`)) {
      throw new Error(`${mod}@${tag} ${BUILDINFO_FILE} does not carry the source SHA ${ctx.GIT_SHA}`);
    }
    const sources = readdirSync(modDir)
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .map((f) => readFileSync(join(modDir, f), 'utf8'))
      .join('\n');
    writeFileSync(join(dir, 'consumer', 'main.go'), smokeProgram(mod, sources));
    const out = (await go(['run', '.'])).stdout.trim();
    if (/^func BuildInfo\(\)/m.test(sources)) {
      if (!out.includes(ctx.GIT_SHA)) throw new Error(`BuildInfo() of ${mod}@${tag} printed ${out}, without the source SHA ${ctx.GIT_SHA}`);
      if (out.includes('Version:') && !out.includes(`Version:${tag}`)) throw new Error(`BuildInfo() of ${mod}@${tag} printed ${out}, not Version:${tag}`);
    }
    log(`smoke ok: ${mod}@${tag} ${h1} -> ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const goEcosystem: EcosystemAdapter = { ecosystem: 'go', pack, plan, checks, lookup, publish, smoke };
