import type { RegistryTrace, TracedArtifact } from '../../core/registry-trace';
import { goRegistry } from '../../destinations/registries';
import { gitEnv } from '../../git/env';
import { withRetry } from '../../retry';
import { isTransientGitError, lsRemoteTags, readRemoteTag, redactRemote } from './git';

/** Go: the mirror's tags, each tag's commit and the Source-SHA it records. */
export const goTrace: RegistryTrace = {
  kind: 'go',
  async list(t, version) {
    const { remote } = goRegistry(t.env, t.destinations);
    const env = gitEnv(t.env);
    const tags = (await withRetry(() => lsRemoteTags(remote, version ?? 'v*', env), isTransientGitError)).map((x) => x.tag);
    const out: TracedArtifact[] = [];
    for (const tag of tags.sort()) {
      const facts = await withRetry(() => readRemoteTag(remote, tag, env), isTransientGitError);
      if (facts) out.push({ ecosystem: 'go', project: t.project, name: t.name, version: tag, gitSha: facts.sourceSha, registry: redactRemote(remote), tags: [tag] });
    }
    return out;
  },
};
