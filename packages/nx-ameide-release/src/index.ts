/*
 * The package entry. Nx loads it for the graph on every command, so it loads only the graph side
 * (plugin/create-nodes) up front; the rest of the public API (the version model, git) loads on
 * first use, through the functions below.
 */
export { createNodes, createNodesV2, type PluginOptions } from './plugin/create-nodes';
export { detectEcosystem } from './plugin/projects';
export * from './version/types';
export * from './core/contract';
export type { GitFacts } from './version/facts';
export {
  resolveDestinations,
  refusalsFor,
  goRemoteFromModule,
  type Destinations,
  type DestinationsConfig,
  type DestinationResolution,
  type DestinationRefusal,
} from './destinations';

type Compute = typeof import('./version/compute');
type Context = typeof import('./context');
type Git = typeof import('./git');
/* eslint-disable @typescript-eslint/no-var-requires */
export const computeContext: Compute['computeContext'] = (...args) => (require('./version/compute') as Compute).computeContext(...args);
export const resolveContext: Context['resolveContext'] = (...args) => (require('./context') as Context).resolveContext(...args);
export const formatContext: Context['formatContext'] = (...args) => (require('./context') as Context).formatContext(...args);
export const contextDigest: Context['contextDigest'] = (...args) => (require('./context') as Context).contextDigest(...args);
export const isAncestor: Git['isAncestor'] = (...args) => (require('./git') as Git).isAncestor(...args);
