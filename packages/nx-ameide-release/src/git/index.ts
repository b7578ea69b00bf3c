/** The only code that runs git. It returns plain facts; the version model decides. */
export { readGitFacts, readGitState, type GitState, readHeadSha, isAncestor, commitTime, ensureReleaseTagPushed, isoUtc, GitFactsError, type GitProblem } from './facts';
export type { GitFacts } from '../version/facts';
export { gitEnv } from './env';
export { resolveCommit, tagsMergedInto, tagsPointingAt, commitsBetween, filesAt, readFileAt, remoteUrl, parseLog, type CommitRecord } from './history';
