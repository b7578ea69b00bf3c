import { ReleaseError } from '../errors';

/**
 * The one publish decision, shared by npm, PyPI, Go and OCI. An adapter's `lookup` answers what
 * the registry holds for one artifact (a file, a Go tag, an image tag) and from which commit;
 * this function alone decides what happens to it. Pure.
 *
 *   absent                                  -> publish
 *   present, from this SHA, same bytes      -> done (already published by this SHA: nothing is sent)
 *   present, from this SHA, other bytes     -> refused (the build was not reproducible; nothing is replaced)
 *   present, from another SHA or none known -> conflict (a published version is never overwritten)
 *
 * Pointers that move by design (npm dist-tags, the `:dev` / `:latest` / `:1.2` image tags, the Go
 * mirror's branch) are not artifacts: they are the adapter's own step after its uploads.
 */

/** What a registry holds for one artifact. `sameBytes` is set when the adapter could compare (PyPI files, image digests). */
export type Held =
  | { state: 'absent' }
  | { state: 'present'; gitSha: string | null; sameBytes?: boolean };

export type Decision =
  | { action: 'publish' }
  | { action: 'done' }
  | { action: 'refused'; reason: string }
  | { action: 'conflict'; heldBy: string | null };

export function decide(ours: string, held: Held): Decision {
  if (held.state === 'absent') return { action: 'publish' };
  if (held.gitSha !== ours) return { action: 'conflict', heldBy: held.gitSha };
  if (held.sameBytes === false) return { action: 'refused', reason: 'other bytes from this same commit' };
  return { action: 'done' };
}

/** Is the decision one that stops the run before any upload? */
export const blocks = (d: Decision): d is Extract<Decision, { action: 'refused' | 'conflict' }> =>
  d.action === 'refused' || d.action === 'conflict';

/**
 * The one message for a blocking decision, naming both commits. `what` is the artifact as a
 * consumer names it (`@scope/pkg@1.2.3`, `pkg==1.2.3 (pkg-1.2.3.tar.gz)`, `example.com/m@v1.2.3`,
 * `ghcr.io/o/img:1.2.3`), `where` the registry (redacted).
 */
export function refusal(what: string, where: string, ours: string, d: Extract<Decision, { action: 'refused' | 'conflict' }>): ReleaseError {
  if (d.action === 'refused') {
    return new ReleaseError(
      `${what} is already on ${where} from this same commit ${ours}, but with other bytes; nothing was uploaded`,
      'the build is not reproducible: pin the build tools (e.g. the build backend in [build-system] requires); the published artifact stays as it is',
      what,
    );
  }
  const theirs = d.heldBy ?? 'an unknown commit (the registry records none)';
  return new ReleaseError(
    `${what} is already on ${where}, published from ${theirs}, but this run packed it from ${ours}; nothing was uploaded`,
    'a published version is never overwritten or moved: release from the commit that published it, or make a new commit (dev versions carry the commit time) / a new vX.Y.Z tag',
    what,
  );
}
