import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * A small store for evidence that is a pure function of its key (an SBOM of one pack state, the
 * public half of a key checked in one run), kept in the clone's git directory like the context cache
 * (src/context.ts): never in the work tree, so it cannot dirty it or end up in a release asset.
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

/** Write an entry atomically (a parallel task reads all of it or none); old entries beyond KEEP go. */
export function writeEntry(dir: string | null, name: string, text: string): void {
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    const entries = readdirSync(dir).filter((f) => !f.endsWith('.tmp'));
    if (entries.length > KEEP) {
      const byAge = entries.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { f } of byAge.slice(0, entries.length - KEEP)) if (f !== name) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // a read-only or full disk costs only the reuse, never the run
  }
}
