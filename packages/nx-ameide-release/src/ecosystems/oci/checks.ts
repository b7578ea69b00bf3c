import type { Finding, PlannedArtifact } from '../../core/contract';
import { credentialSource } from '../../credentials';
import { findingOf } from '../../core/findings';
import { networkCode } from '../../net';
import { RegistryHttpError } from './registry';
import { heldUnder, imageChannel } from './tags';
import { resolveSignMode, tagOf, where, type OciReleaseInput } from './input';
import { decidePointersNow, readFacts } from './facts';
import { keyWontOpen, missingKey } from './guards';
import { ociPublishInput, ociSteps } from './release';
import { ourImage } from './ours';
import { heldFindings } from '../../core/publish-flow';

/**
 * The image's preflight, without writing: signing configured, the registry reachable in
 * bounded time, the credentials granted push on the repository, each immutable tag through the
 * one decision (held by another commit, or by other bytes of this one: a row naming both), and
 * no pointer the policy would refuse. Every finding, [] when ready.
 */
export async function ociChecks(input: OciReleaseInput & { timeoutMs: number }): Promise<Finding[]> {
  const { context } = input;
  const out: Finding[] = [];
  const channel = imageChannel(context);
  const manifests = input.manifests.filter((m) => !m.skipped && m.files.length > 0);
  if (!channel || manifests.length === 0) return out;
  const oci = ociPublishInput(input, { timeoutMs: input.timeoutMs });
  const { reg, client, repo } = oci;
  try {
    const mode = resolveSignMode(input.sign, reg, input.env);
    const keyProblem = missingKey(mode, reg);
    if (keyProblem) out.push({ check: 'guard', ...keyProblem });
    else {
      const opens = await keyWontOpen(mode, reg, input);
      if (opens) out.push({ check: 'credentials', ...opens });
    }
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  let planned: PlannedArtifact[];
  try {
    planned = ociSteps.plan(oci);
  } catch (e) {
    return [...out, findingOf('guard', e)];
  }
  const { ours } = ourImage(input, manifests, manifests[0], channel, where(input));
  try {
    await client.checkPush(repo);
  } catch (e) {
    if (e instanceof RegistryHttpError && (e.status === 401 || e.status === 403)) {
      const source = reg.password ? credentialSource(input.env, 'OCI_PASSWORD', 'GITHUB_TOKEN') : 'no OCI_USERNAME/OCI_PASSWORD or GITHUB_TOKEN';
      out.push({
        check: 'credentials',
        problem: `OCI registry ${reg.registry} refused push on ${repo} with the credentials in ${source} (HTTP ${e.status})`,
        fix: `check them with \`skopeo login ${reg.registry}\` (or docker login); set OCI_USERNAME + OCI_PASSWORD, or GITHUB_TOKEN with packages: write`,
      });
    } else {
      const timeout = networkCode(e) === 'ETIMEDOUT' || /ETIMEDOUT/.test((e as Error).message);
      out.push({
        check: 'destination',
        problem: `OCI registry ${reg.registry} ${timeout ? `did not answer within ${input.timeoutMs / 1000} s` : 'is not reachable'}: ${(e as Error).message}`,
        fix: 'check destinations.oci.registry (or AMEIDE_OCI_REGISTRY; docs/destinations.md), and AMEIDE_OCI_INSECURE for a plain-http sandbox',
      });
    }
    return out;
  }
  // The one held-by-another-SHA rule (core), looking up with this check's bounded client.
  out.push(...(await heldFindings({ plan: () => planned, lookup: async (_, a) => heldUnder(tagOf(a), await readFacts(client, repo, tagOf(a)), ours) }, oci)));
  for (const d of await decidePointersNow(client, repo, input, ours, where(input))) {
    if (d.action === 'refuse') out.push({ check: 'version', problem: `${oci.image}:${d.tag}: ${d.reason}`, fix: 'make the build reproducible, or remove the tag that was not made by this plugin' });
  }
  return out;
}
