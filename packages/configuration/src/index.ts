export * from './defaults';
export { buildInfo, readBuildInfo, type BuildInfo } from './build-info';
