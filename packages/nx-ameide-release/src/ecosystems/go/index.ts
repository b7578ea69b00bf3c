import type { EcosystemAdapter } from '../../core/contract';
import { mirror } from './mirror';
import { modulePseudoVersion } from './module';
import { checksGo } from './checks';
import { packGo } from './pack';
import { goSteps } from './publish';
import { smokeGo } from './smoke';

/**
 * Go: the module is packed in GOPROXY layout (pack.ts) and published by syncing exactly the
 * zip's files into the SDK's own repository as one commit recording the source SHA, tagged
 * vX.Y.Z (publish.ts, under the one flow). Go versions exist on the release channel only
 * (mirror.ts); the smoke consumes the tag as a user would (smoke.ts, programs/smoke/).
 */
export const goEcosystem: EcosystemAdapter = {
  ecosystem: 'go',
  role: 'package',
  destination: 'go',
  pack: packGo,
  // Dev and build zip the module under its pseudo-version, fitted to the module path's major.
  version: (context, name) => context.GO_VERSION || modulePseudoVersion(name, context.GO_PSEUDO_VERSION),
  checks: checksGo,
  steps: goSteps,
  describe: (input) => ({ registry: mirror(input).shown, tags: input.context.GO_VERSION ? [input.context.GO_VERSION] : [] }),
  smoke: smokeGo,
};

export { goModProblems, readGoMod } from './guards';
export { BUILDINFO_FILE, type GoPackManifest } from './pack';
export { goSteps } from './publish';
export { smokeProgramFiles } from './smoke';
