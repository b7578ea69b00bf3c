import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import { goRegistry } from '../../destinations/registries';
import type { VersionContext } from '../../version/types';
import type { PackManifest, PublishInput } from '../../core/contract';
import { redactRemote } from './git';
import { GO_TAG_RE } from './module';
import { readZip, type ZipEntry } from './modzip';

/**
 * What the Go mirror gets, Go's own rules: a vX.Y.Z tag on the release channel, nothing else.
 * Shared by the publish steps (plan), the preflight checks and the smoke.
 */

/**
 * Why the mirror gets nothing from this context, or null on a release. Go versions exist on the
 * release channel only: on dev a pseudo-version is packed for the dev image but never published.
 */
export function mirrorGetsNothing(ctx: VersionContext): string | null {
  if (ctx.CHANNEL === 'release' && ctx.GO_VERSION) return null;
  return `Go publishes no version on the ${ctx.CHANNEL} channel (only a vX.Y.Z release tags the mirror)${ctx.CHANNEL === 'dev' ? '; the module zip at this SHA goes into the dev image only' : ''}`;
}

/** The mirror remote and default branch; credentials in the remote URL are registered for redaction before any git runs. */
export function mirror(input: Pick<PublishInput, 'env' | 'destinations'>): { remote: string; branch: string; shown: string } {
  const { remote, branch } = goRegistry(input.env, input.destinations);
  return { remote, branch, shown: redactRemote(remote) };
}

/** The Go tag a pack manifest publishes; its shape is Go's own check. */
export function tagOf(manifest: PackManifest): string {
  if (!GO_TAG_RE.test(manifest.version)) {
    throw new ReleaseError(`pack manifest version ${manifest.version} is not a Go tag`, `re-run pack for ${manifest.project} on the release tag`);
  }
  return manifest.version;
}

/** The packed zip's manifest entry. */
export function zipOf(manifest: PackManifest) {
  const zip = manifest.files.find((f) => f.kind === 'go-zip');
  if (!zip) throw new ReleaseError(`pack manifest of ${manifest.project} lists no go-zip`, `run pack for ${manifest.project} first`);
  return zip;
}

/**
 * The packed module's files, zip prefix stripped: the mirror's tree is exactly the zip. The flow
 * has already proven the zip is the one pack wrote (src/flow/manifest.ts); its layout is Go's own.
 */
export function packedFiles(input: Pick<PublishInput, 'manifest' | 'workspaceRoot'>): ZipEntry[] {
  const { manifest, workspaceRoot } = input;
  const zip = zipOf(manifest);
  const prefix = `${manifest.name}@${manifest.version}/`;
  return readZip(readFileSync(join(workspaceRoot, zip.file))).map((e) => {
    if (!e.name.startsWith(prefix)) throw new ReleaseError(`${zip.file} holds ${e.name} outside ${prefix}`, `re-run pack for ${manifest.project}`);
    return { name: e.name.slice(prefix.length), data: e.data };
  });
}
