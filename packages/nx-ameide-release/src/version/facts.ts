/**
 * Plain facts about a checkout, as read by src/git (the only code that runs git).
 * The pure version model takes these as arguments: no git, no fs, no clock.
 */
export interface GitFacts {
  /** HEAD commit, 40 hex. */
  headSha: string;
  /** HEAD committer time, UTC, `YYYY-MM-DDTHH:MM:SSZ` (the only clock the model ever sees). */
  commitTime: string;
  /**
   * Version tags (`vX.Y.Z`, `vX.Y.Z-pre`) reachable from HEAD, non-SemVer tags dropped: at least the
   * highest reachable one and the highest reachable stable one (all the model reads); git may list more.
   */
  reachableTags: string[];
  /** Every version tag in the repository, reachable or not (for "is this the highest release"). */
  allTags: string[];
  /** Every tag pointing at HEAD, SemVer or not. */
  tagsAtHead: string[];
  /** Tracked changes or untracked, not-ignored files. */
  dirty: boolean;
  /** Paths `git status --porcelain` reported (a few, for the error message). */
  dirtyPaths: string[];
  shallow: boolean;
  /** Current branch, or null on a detached HEAD. */
  branch: string | null;
}
