import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run } from '../../exec';
import { ReleaseError } from '../../errors';
import { gitEnv } from '../../git/env';
import { sha256Hex as sha256 } from '../../hash';
import type { ArtifactFile, PackInput, PackManifest } from '../../core/contract';
import { goModProblems, readGoMod } from './guards';
import { escapeModulePath, goLang, modulePseudoVersion } from './module';
import { hash1, MAX_ZIP_FILE, readFiles, selectModuleFiles, writeZip, type ZipEntry } from './modzip';

/**
 * Go pack: the module in GOPROXY layout (what `GOPROXY=file://…` serves), from a stamped temp copy.
 * Release: under the tag. Dev and build: under the commit's pseudo-version (GO_PSEUDO_VERSION), so
 * the dev image carries the module source at that SHA; the mirror gets nothing (publish.ts).
 */

/** The pack manifest of a Go module: the h1: hashes go.sum will record, so publish and smoke can prove what consumers get. */
export interface GoPackManifest extends PackManifest {
  go?: { module: string; h1: string; goModH1: string; commitTime: string };
}

export const BUILDINFO_FILE = 'buildinfo.go';
const SHA_PLACEHOLDER = /(\bsourceSHA\s*=\s*)"unknown"/g;

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

function artifact(workspaceRoot: string, file: string, data: Buffer | string, kind: string): ArtifactFile {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  return { file: relative(workspaceRoot, file).split('\\').join('/'), sha256: sha256(data), kind };
}

export async function packGo(input: PackInput): Promise<GoPackManifest> {
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
