import type { EcosystemAdapter } from '../../core/contract';
import { checksGo } from './checks';
import { packGo } from './pack';
import { goSteps, lookupGo, planGo, publishGo } from './publish';
import { smokeGo } from './smoke';

/**
 * Go: the module is packed in GOPROXY layout (pack.ts) and published by syncing exactly the
 * zip's files into the SDK's own repository as one commit recording the source SHA, tagged
 * vX.Y.Z (publish.ts, under the one flow). Go versions exist on the release channel only
 * (mirror.ts); the smoke consumes the tag as a user would (smoke.ts, programs/smoke/).
 */
export const goEcosystem: EcosystemAdapter = {
  ecosystem: 'go',
  pack: packGo,
  plan: planGo,
  checks: checksGo,
  lookup: lookupGo,
  steps: goSteps,
  publish: publishGo,
  smoke: smokeGo,
};

export { goModProblems, readGoMod } from './guards';
export { BUILDINFO_FILE, type GoPackManifest } from './pack';
export { goSteps } from './publish';
export { smokeProgramFiles } from './smoke';
