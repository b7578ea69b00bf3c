import type { RegistryTrace, TracedArtifact } from '../../core/registry-trace';
import { ociRegistry } from '../../destinations/registries';
import { ociImageName } from './layout';
import { readFacts } from './facts';
import { RegistryClient } from './registry';

/** cosign's signature/attestation/SBOM tags: not images of their own. */
const COSIGN_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/** OCI: the repository's tags -> manifests -> org.opencontainers.image.revision; one artifact per digest, with its tags. */
export const ociTrace: RegistryTrace = {
  kind: 'oci',
  async list(t, tag) {
    const reg = ociRegistry(t.env, t.destinations);
    const client = new RegistryClient({ registry: reg.registry, insecure: reg.insecure, username: reg.username, password: reg.password });
    const repo = `${reg.namespace}/${ociImageName(t.name)}`;
    const tags = tag !== undefined ? [tag] : (await client.listTags(repo)).filter((x) => !COSIGN_TAG.test(x));
    const byDigest = new Map<string, TracedArtifact>();
    for (const x of tags.sort()) {
      const facts = await readFacts(client, repo, x);
      if (!facts) continue;
      const seen = byDigest.get(facts.digest);
      if (seen) seen.tags.push(x);
      else byDigest.set(facts.digest, { ecosystem: 'oci', project: t.project, name: `${reg.registry}/${repo}`, version: facts.version ?? x, gitSha: facts.revision, registry: reg.registry, tags: [x], digest: facts.digest });
    }
    return [...byDigest.values()];
  },
};
