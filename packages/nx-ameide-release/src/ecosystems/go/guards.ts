import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import { checkModulePath, checkPathMajor, GO_TAG_RE } from './module';
import { parseGoMod, replaces, retractionOf, type ModFile } from '../../gomod';

/**
 * Go's own source guards, shared by pack (throws before writing anything) and the preflight
 * (lists every problem): the module path, its major suffix against the version, replace and
 * retract directives.
 */

/**
 * What is wrong with this go.mod for this version, with the fix. Pure. `version` is GO_VERSION
 * ('' outside the release channel: path syntax and replace are still checked so a PR fails early,
 * the major only once there is a version).
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

/** The project's go.mod, parsed; a ReleaseError naming the file when it is missing or unreadable. */
export function readGoMod(workspaceRoot: string, projectRoot: string): { mod: ModFile; text: Buffer; where: string } {
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
