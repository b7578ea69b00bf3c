import { ReleaseError } from '../errors';
import type { GitFacts } from './facts';
import { classifyTag, sortVersionTags } from './tags';

/**
 * The ref a local checkout stands for when CI gave none: a release tag at HEAD; else a tag
 * that looks like a release (1.2.3, v1.2: computeContext refuses it, naming the form), since
 * whoever tagged HEAD so meant a release; else the branch; else, on a detached HEAD, any other
 * tag (the build channel, with a warning). A detached HEAD without a tag says nothing about
 * the channel, so it is refused.
 */
export function localRef(facts: Pick<GitFacts, 'headSha' | 'tagsAtHead' | 'branch'>): string {
  const tag = sortVersionTags(facts.tagsAtHead)[0];
  if (tag) return `refs/tags/${tag.tag}`;
  const byKind = (k: string) => [...facts.tagsAtHead].sort().find((t) => classifyTag(t).kind === k);
  const lookalike = byKind('lookalike');
  if (lookalike) return `refs/tags/${lookalike}`;
  if (facts.branch) return `refs/heads/${facts.branch}`;
  const other = byKind('other');
  if (other) return `refs/tags/${other}`;
  throw new ReleaseError(
    `HEAD is detached at ${facts.headSha.slice(0, 7)} with no vX.Y.Z tag, and GITHUB_REF is not set: the channel is unknown`,
    'pass --ref (e.g. --ref refs/heads/main), set GITHUB_REF, or check out a branch (git switch main)',
  );
}

/**
 * Accept a full ref or a short name: `v1.2.3` (or `1.2.3`, `v1.2`) -> refs/tags/…, `main` -> refs/heads/main.
 * Anything starting with refs/ is taken as is.
 */
export function normalizeRef(ref: string): string {
  const r = ref.trim();
  if (r.startsWith('refs/')) return r;
  // A short name that looks like a version is a tag (refused later when it is not vX.Y.Z), never a branch.
  if (classifyTag(r).kind !== 'other') return `refs/tags/${r}`;
  return `refs/heads/${r}`;
}
