import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * A small store for what is a pure function of its key (the version context of one checkout state,
 * an SBOM of one pack state, the public half of a key checked in one run), kept in the clone's git
 * directory: never in the work tree, so it cannot dirty it or end up in a release asset.
 * Found without running git: `<workspace>/.git` is the git directory, or a file naming it (a worktree).
 * Every read is checked by its caller; a missing, torn or foreign entry is a miss, never an error,
 * and a write that fails costs only the reuse. AMEIDE_EVIDENCE_CACHE=off turns the store off.
 */

const KEEP = 64;

/** `<git dir>/nx-ameide-release/<kind>/`, or null when there is none (no git directory, store off). */
export function storeDir(workspaceRoot: string, kind: string, env: Record<string, string | undefined> = process.env): string | null {
  if (/^(off|0|false|no)$/i.test(env.AMEIDE_EVIDENCE_CACHE ?? '')) return null;
  const dotGit = join(workspaceRoot, '.git');
  let gitDir: string | null = null;
  try {
    if (statSync(dotGit).isDirectory()) gitDir = dotGit;
    else {
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
      if (m) gitDir = isAbsolute(m[1].trim()) ? m[1].trim() : resolve(workspaceRoot, m[1].trim());
    }
  } catch {
    return null;
  }
  return gitDir && existsSync(gitDir) ? join(gitDir, 'nx-ameide-release', kind) : null;
}

/** The entry's text, or null (missing or unreadable). */
export function readEntry(dir: string | null, name: string): string | null {
  if (!dir) return null;
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch {
    return null;
  }
}

/**
 * Write `text` to `file` atomically (a parallel task reads all of it or none): a temp file beside
 * it, then a rename. False when it could not be written (read-only or full disk): every caller
 * treats the file as an optimisation, so a failed write costs only the reuse, never the run.
 */
export function writeFileAtomic(file: string, text: string): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return true;
  } catch {
    return false;
  }
}

/** Write an entry atomically; the oldest entries beyond `keep` go. */
export function writeEntry(dir: string | null, name: string, text: string, keep = KEEP): void {
  if (!dir || !writeFileAtomic(join(dir, name), text)) return;
  try {
    const entries = readdirSync(dir).filter((f) => !f.endsWith('.tmp'));
    if (entries.length > keep) {
      const byAge = entries.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { f } of byAge.slice(0, entries.length - keep)) if (f !== name) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // pruning is housekeeping: an entry left over is harmless
  }
}

/** A compiled module's identity (path + build time): an entry written by other code is never reused. */
export function moduleId(file: string): string {
  try {
    return `${file}:${statSync(file).mtimeMs}`;
  } catch {
    return file;
  }
}
