import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ReleaseError } from '../../errors';
import type { VersionContext } from '../../version/types';
import type { PackManifest } from '../../core/contract';
import { buildImage, LABEL_CHANNEL, LABEL_PROJECT, OCI_CREATED, OCI_REVISION, OCI_SOURCE, OCI_TITLE, OCI_VERSION, type ImageBuild } from './image';
import { imageFiles, type Contents } from './layout';
import { type ImageChannel, type OurImage } from './tags';
import { sourceOf, type OciReleaseInput } from './input';

/** This commit's image, built in memory from dist/ (same SHA => same digest): once per task. */

/** The version the image carries: the release tag's on a release, the package's on dev. Pure. */
export function ourVersion(context: VersionContext, channel: ImageChannel, first: PackManifest): string {
  return channel === 'dev' ? first.version : context.RELEASE_TAG.replace(/^v/, '') || first.version;
}

/** The image in memory from dist/ (same SHA => same digest). */
export function buildOurImage(
  input: Pick<OciReleaseInput, 'project' | 'context' | 'workspaceRoot' | 'source' | 'env'>,
  manifests: PackManifest[],
  first: PackManifest,
  channel: ImageChannel,
  where: string,
): { build: ImageBuild; contents: Contents; ours: OurImage } {
  const { project, context } = input;
  const version = ourVersion(context, channel, first);
  try {
    const { files, contents } = imageFiles(project, manifests, (f) => readFileSync(isAbsolute(f) ? f : join(input.workspaceRoot, f)));
    const annotations: Record<string, string> = {
      [OCI_CREATED]: new Date(Date.parse(context.COMMIT_TIME)).toISOString().replace('.000Z', 'Z'),
      [OCI_REVISION]: context.GIT_SHA,
      [OCI_VERSION]: version,
      [OCI_TITLE]: first.name,
      [LABEL_CHANNEL]: channel,
      [LABEL_PROJECT]: project,
    };
    const source = sourceOf(input);
    if (source) annotations[OCI_SOURCE] = source;
    const build = buildImage({ files, annotations, created: context.COMMIT_TIME });
    return { build, contents, ours: { digest: build.manifest.digest, channel, revision: context.GIT_SHA, version } };
  } catch (e) {
    if (e instanceof ReleaseError) throw e;
    throw new ReleaseError((e as Error).message, `run nx run ${project}:pack again`, where);
  }
}

type Built = ReturnType<typeof buildOurImage>;
const built = new WeakMap<PackManifest, Map<string, Built>>();

/**
 * buildOurImage, once per task: keyed by the pack manifest object the pipeline read once and hands
 * to both the re-check (ociChecks) and the steps (prepare), and by everything else the image is
 * made of. A new task reads its manifest anew, so nothing outlives the task.
 */
export function ourImage(
  input: Pick<OciReleaseInput, 'project' | 'context' | 'workspaceRoot' | 'source' | 'env'>,
  manifests: PackManifest[],
  first: PackManifest,
  channel: ImageChannel,
  where: string,
): Built {
  const { context } = input;
  const key = JSON.stringify([input.project, context.GIT_SHA, context.RELEASE_TAG, context.COMMIT_TIME, channel, sourceOf(input), manifests.map((m) => m.files)]);
  let mine = built.get(first);
  if (!mine) built.set(first, (mine = new Map()));
  let image = mine.get(key);
  if (!image) mine.set(key, (image = buildOurImage(input, manifests, first, channel, where)));
  return image;
}
