import { ReleaseError } from '../errors';
import type { GitFacts } from './facts';
import { parseVersionTag, sortVersionTags } from './tags';

/**
 * The ref a local checkout stands for when CI gave none: a release tag at HEAD, else the
 * branch. A detached HEAD without a tag says nothing about the channel, so it is refused.
 */
export function localRef(facts: GitFacts): string {
  const tag = sortVersionTags(facts.tagsAtHead)[0];
  if (tag) return `refs/tags/${tag.tag}`;
  if (facts.branch) return `refs/heads/${facts.branch}`;
  throw new ReleaseError(
    `HEAD is detached at ${facts.headSha.slice(0, 7)} with no vX.Y.Z tag, and GITHUB_REF is not set: the channel is unknown`,
    'pass --ref (e.g. --ref refs/heads/main), set GITHUB_REF, or check out a branch (git switch main)',
  );
}

/**
 * Accept a full ref or a short name: `v1.2.3` -> refs/tags/v1.2.3, `main` -> refs/heads/main.
 * Anything starting with refs/ is taken as is.
 */
export function normalizeRef(ref: string): string {
  const r = ref.trim();
  if (r.startsWith('refs/')) return r;
  if (parseVersionTag(r)) return `refs/tags/${r}`;
  return `refs/heads/${r}`;
}
