import { heldFindings } from '../../core/publish-flow';
import { findingOf } from '../../core/findings';
import { gitEnv } from '../../git/env';
import type { CheckInput, Finding } from '../../core/contract';
import { checkPushAccess, lsRemoteRef } from './git';
import { goModProblems, readGoMod } from './guards';
import { mirror, mirrorGetsNothing } from './mirror';
import { goSteps } from './publish';

/**
 * Go's own preflight checks, all of them, without writing: every go.mod problem (path, major,
 * replace, retract), and when the mirror gets a tag: the mirror reachable with the credentials git
 * has (git ls-remote, then `git push --dry-run` of a throwaway commit: push rights, no write) and
 * the tag not held by another source SHA (core's heldFindings: the one decision).
 */
export async function checksGo(input: CheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  try {
    const { mod, where } = readGoMod(input.workspaceRoot, input.projectRoot);
    for (const p of goModProblems(mod, input.context.GO_VERSION)) out.push({ check: 'guard', problem: `${where}: ${p.what}`, fix: p.fix });
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  if (mirrorGetsNothing(input.context)) return out;
  const { remote, branch, shown } = mirror(input);
  try {
    await lsRemoteRef(remote, `refs/heads/${branch}`, gitEnv(input.env));
    await checkPushAccess(remote, gitEnv(input.env));
  } catch (e) {
    const last = (e as Error).message.split('\n').filter(Boolean).slice(-1)[0];
    const auth = /Authentication failed|returned error: 40[13]|Permission denied|could not read Username/i.test((e as Error).message);
    out.push({
      check: auth ? 'credentials' : 'destination',
      problem: `the Go mirror ${shown} ${auth ? 'refused the credentials git has for it' : 'is not reachable for reading and pushing'} (${last})`,
      fix: auth
        ? `check them with \`git ls-remote ${shown}\` (a credential helper, or GIT_CONFIG_* for the CI token)`
        : 'check destinations.go.remote (docs/destinations.md; AMEIDE_GO_REMOTE overrides it) and give git credentials for it (a credential helper, or GIT_CONFIG_* insteadOf for a local mirror)',
    });
    return out;
  }
  // A missing, stale or other-version manifest is the shared artifact check's finding (src/flow/manifest.ts).
  if (!input.manifest || input.manifest.skipped || input.manifest.version !== input.context.GO_VERSION) return out;
  out.push(...(await heldFindings(goSteps, input)));
  return out;
}
