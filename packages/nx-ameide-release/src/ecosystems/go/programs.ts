import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';

/**
 * Programs in other languages that the Go adapter runs live as real files under ./programs/<name>/
 * (Go source that gofmt and the compiler read as they are), never as strings in TypeScript. They
 * are read at run time next to this module: in the source tree, and in the compiled build, where
 * scripts/build.js copies every `programs` folder under src/ beside the JavaScript.
 */

/** The import path the programs use for the module under test; replaced by the real module path. */
export const MODULE_PLACEHOLDER = 'example.com/sdk-under-test';

/** The folder of one shipped program. `from` is this module's folder (the compiled one in the build). */
export function programDir(name: string, from: string = __dirname): string {
  const dir = join(from, 'programs', name);
  if (!existsSync(dir)) {
    throw new ReleaseError(
      `the Go program '${name}' of the plugin is missing (looked in ${dir})`,
      'reinstall @ameideio/nx-ameide-release (its package ships src/ecosystems/go/programs/); when building the plugin, use scripts/build.js, which copies them',
    );
  }
  return dir;
}

/**
 * Write the chosen files of a program into `dest`, with the placeholder import path replaced by
 * `modulePath` (as a Go string literal: the placeholder only ever stands between quotes).
 */
export function writeProgram(name: string, files: string[], dest: string, modulePath: string): void {
  const dir = programDir(name);
  mkdirSync(dest, { recursive: true });
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    writeFileSync(join(dest, f), text.split(JSON.stringify(MODULE_PLACEHOLDER)).join(JSON.stringify(modulePath)));
  }
}
