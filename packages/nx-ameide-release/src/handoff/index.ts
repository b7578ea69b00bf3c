/** The inner loop's handoff with Argo CD (docs/inner-loop.md): `nx-ameide-release argocd ...`. */
export { register, runArgocd, protectRules } from './command';
export { pause, resume, resumeExpired, holds, renew, protectedBy, type ProtectRules, type HandoffOptions } from './argocd';
export { HOLD_ANNOTATION, decodeHold, encodeHold, parseDuration, type Hold, type Clock } from './lease';
