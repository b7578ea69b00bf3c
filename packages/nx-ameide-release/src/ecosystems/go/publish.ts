import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as semver from 'semver';
import { gitEnv } from '../../git/env';
import { withRetry } from '../../retry';
import { AlreadyThere } from '../../core/publish-flow';
import type { Held } from '../../core/decide';
import type { PlannedArtifact, PublishInput, PublishSteps } from '../../core/contract';
import { advanceBranch, isPushRace, isTagTaken, isTransientGitError, lsRemoteTags, mirrorBranchFor, pushTaggedCommit, readRemoteTag } from './git';
import { GO_TAG_RE } from './module';
import { mirror, mirrorGetsNothing, packedFiles, tagOf, zipOf } from './mirror';

/**
 * Go's publish half under the one flow (src/core/publish-flow.ts). The artifact is the module's tag in
 * its mirror repository: one commit holding exactly the zip's files and recording the source SHA
 * (a `Source-SHA:` trailer), tagged vX.Y.Z. The flow checks the channel, the pack manifest (SHA,
 * version, every sha256) and decides; Go only reads, sends and points:
 *
 *   plan     the tag (release channel only: dev and build plan nothing)
 *   lookup   the mirror's tag -> its commit -> the Source-SHA recorded on it (and whether its
 *            tree is the packed zip's files: same SHA with other bytes is refused)
 *   upload   push the commit and its tag (the tag alone: a tag that appeared meanwhile is AlreadyThere)
 *   finish   move the mirror branch to the tag: the default branch for the highest release,
 *            release/vX.Y for a backport; forward only, also on a re-run
 */

const BOT = { name: 'ameide-release-bot', email: 'release-bot@ameide.io' };

/** The Go tag this publish plans, pure: [] when the mirror gets nothing from this context. */
export function planned(input: PublishInput): PlannedArtifact[] {
  if (mirrorGetsNothing(input.context)) return [];
  const { manifest } = input;
  const tag = tagOf(manifest);
  const zip = zipOf(manifest);
  return [{ id: `${manifest.name}@${tag}`, ecosystem: 'go', name: manifest.name, version: tag, registry: mirror(input).shown, kind: 'go-tag', file: zip.file, sha256: zip.sha256, tags: [tag] }];
}

/** The mirror branch a tag goes on (src/ecosystems/go/git.ts mirrorBranchFor). */
export const branchFor = (input: PublishInput, tag: string) => mirrorBranchFor(tag, input.context.IS_HIGHEST_RELEASE, mirror(input).branch);

/** The highest tag of the same vX.Y line below `tag` in the mirror: where a new release/vX.Y branch starts. */
async function lineStart(remote: string, tag: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const m = GO_TAG_RE.exec(tag);
  if (!m) return undefined;
  const line = (await lsRemoteTags(remote, `v${m[1]}.${m[2]}.*`, env)).map((t) => t.tag).filter((t) => semver.valid(t) && semver.lt(t, tag));
  return line.sort(semver.rcompare)[0];
}

/** The tag's commit, the Source-SHA it records, and whether its tree is the packed zip's files. */
async function lookupTag(input: PublishInput, artifact: PlannedArtifact): Promise<Held> {
  // Without the zip (the preflight's artifact check names that) the bytes are not compared.
  const files = existsSync(join(input.workspaceRoot, zipOf(input.manifest).file)) ? packedFiles(input) : undefined;
  const facts = await withRetry(() => readRemoteTag(mirror(input).remote, artifact.version, gitEnv(input.env), files), isTransientGitError);
  return facts ? { state: 'present', gitSha: facts.sourceSha, sameBytes: facts.sameTree } : { state: 'absent' };
}

async function uploadTag(input: PublishInput, artifact: PlannedArtifact): Promise<void> {
  const tag = artifact.version;
  const { remote, branch: defaultBranch, shown } = mirror(input);
  const branch = branchFor(input, tag);
  const files = packedFiles(input);
  const env = gitEnv(input.env);
  const identity = {
    name: input.env.GIT_COMMITTER_NAME || input.env.GIT_AUTHOR_NAME || BOT.name,
    email: input.env.GIT_COMMITTER_EMAIL || input.env.GIT_AUTHOR_EMAIL || BOT.email,
  };
  await withRetry(
    async (attempt) => {
      if (attempt > 1) input.log(`retrying the Go mirror push (attempt ${attempt})`);
      const startFrom = branch === defaultBranch ? undefined : await lineStart(remote, tag, env);
      try {
        const { commit, reused } = await pushTaggedCommit(
          { remote, branch, startFrom, tag, files, sourceSha: input.manifest.gitSha, sourceRef: input.context.REF || undefined, commitTime: input.context.COMMIT_TIME, identity, subject: `${input.manifest.name} ${tag}` },
          env,
          input.log,
        );
        input.log(`${tag} -> ${commit}${reused ? ' (existing branch commit)' : ''} in ${shown}, Source-SHA ${input.manifest.gitSha}`);
      } catch (e) {
        if (isTagTaken(e)) throw new AlreadyThere(artifact, e);
        throw e;
      }
    },
    (e) => !(e instanceof AlreadyThere) && isTransientGitError(e),
  );
}

async function finishBranch(input: PublishInput, results: { version: string }[]): Promise<string[]> {
  const { remote } = mirror(input);
  const env = gitEnv(input.env);
  const lines: string[] = [];
  for (const r of results) {
    // A branch that moved between reading and pushing is read again: forward only, never forced.
    lines.push(await withRetry(() => advanceBranch(remote, branchFor(input, r.version), r.version, env), (e) => isTransientGitError(e) || isPushRace(e)));
  }
  return lines;
}

export const goSteps: PublishSteps = {
  plan(input) {
    const skip = mirrorGetsNothing(input.context);
    if (skip) input.log(`go ${input.manifest.name}: nothing planned for the mirror (${skip})`);
    return planned(input);
  },
  lookup: lookupTag,
  upload: uploadTag,
  finish: finishBranch,
};
