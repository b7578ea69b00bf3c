import { ReleaseError } from '../../errors';
import { LABEL_CHANNEL, OCI_REVISION, OCI_VERSION } from './image';
import { RegistryClient } from './registry';
import { decidePointers, devAncestryQuestion, isImmutableTag, type ImageFacts, type OurImage, type TagDecision } from './tags';
import type { OciReleaseInput } from './input';

/** What the registry says about an image tag (also read by gitops and trace), and the pointer tags' decision from it. */

/** The facts a tag's image carries, from manifest annotations, else config labels; `fresh`: not from the task's session. */
export async function readFacts(client: RegistryClient, repo: string, tag: string, opts: { fresh?: boolean } = {}): Promise<ImageFacts | null> {
  const m = await client.getManifest(repo, tag, opts);
  if (!m) return null;
  let body: { annotations?: Record<string, string>; config?: { digest?: string } } = {};
  try {
    body = JSON.parse(m.bytes.toString('utf8'));
  } catch {
    /* not JSON: a foreign image */
  }
  let labels = body.annotations ?? {};
  if (!labels[LABEL_CHANNEL] && body.config?.digest) {
    try {
      const cfg = JSON.parse((await client.getBlob(repo, body.config.digest)).toString('utf8'));
      labels = cfg?.config?.Labels ?? {};
    } catch {
      /* unreadable config: unlabelled */
    }
  }
  const ch = labels[LABEL_CHANNEL];
  return {
    digest: m.digest,
    channel: ch === 'release' || ch === 'prerelease' || ch === 'dev' ? ch : null,
    revision: labels[OCI_REVISION] ?? null,
    version: labels[OCI_VERSION] ?? null,
  };
}

/** The pointer tags' images now, dev's ancestry when it matters, and the pure pointer policy's decision for each. */
export async function decidePointersNow(
  client: RegistryClient,
  repo: string,
  input: Pick<OciReleaseInput, 'context' | 'isAncestor'>,
  ours: OurImage,
  where: string,
): Promise<TagDecision[]> {
  const { context } = input;
  const tags = context.GHCR_TAGS.filter((t) => !isImmutableTag(t, ours));
  if (tags.length === 0) return [];
  const registryTags = await client.listTags(repo);
  const present = new Set(registryTags);
  const existing: Record<string, ImageFacts | null> = {};
  for (const tag of new Set(tags)) existing[tag] = present.has(tag) ? await readFacts(client, repo, tag) : null;
  const policyInput = { ours, tags, existing, registryTags, isHighestReleaseInGit: context.IS_HIGHEST_RELEASE };
  const question = devAncestryQuestion(policyInput);
  let devHoldsDescendant = false;
  if (question) {
    try {
      devHoldsDescendant = await input.isAncestor(context.GIT_SHA, question);
    } catch (e) {
      throw new ReleaseError(
        `cannot tell whether ${context.GIT_SHA} is an ancestor of ${question} (the commit dev points at): ${(e as Error).message}`,
        'fetch the full history (actions/checkout with fetch-depth: 0)',
        where,
      );
    }
  }
  return decidePointers({ ...policyInput, devHoldsDescendant });
}

export const pointerRefusal = (refused: TagDecision[], image: string, where: string) =>
  new ReleaseError(
    refused.map((d) => `${image}:${d.tag}: ${d.reason}`).join('\n  '),
    'nothing was pushed; make the build reproducible, or remove the tag that was not made by this plugin',
    where,
  );
