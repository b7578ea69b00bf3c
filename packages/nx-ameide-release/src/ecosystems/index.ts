import type { AdapterRole, Ecosystem, EcosystemAdapter } from '../core/contract';
import { npmEcosystem } from './npm';
import { pypiEcosystem } from './pypi';
import { goEcosystem } from './go';
import { ociEcosystem } from './oci';

/**
 * The adapter registry: the one place that names every ecosystem. Adding one is its own folder
 * under src/ecosystems/ and one line here (docs/adapter-contract.md).
 */
/** The ecosystems this plugin ships: npm, pypi, go (packages) and oci (the image of any of them). */
export type BuiltInPackageEcosystem = 'npm' | 'pypi' | 'go';
export type BuiltInEcosystem = BuiltInPackageEcosystem | 'oci';

const builtIn: Record<BuiltInEcosystem, EcosystemAdapter> = {
  npm: npmEcosystem,
  pypi: pypiEcosystem,
  go: goEcosystem,
  oci: ociEcosystem,
};

const adapters = new Map<Ecosystem, EcosystemAdapter>(Object.entries(builtIn));

export function adapterFor(ecosystem: Ecosystem): EcosystemAdapter {
  const adapter = adapters.get(ecosystem);
  if (!adapter) throw new Error(`unknown ecosystem '${ecosystem}' (expected one of ${[...adapters.keys()].join(', ')})`);
  return adapter;
}

/** The adapter that publishes the image of a package (role `image`): the `ghcr` target's. */
export function imageAdapter(): EcosystemAdapter {
  const found = [...adapters.values()].filter((a) => a.role === ('image' satisfies AdapterRole));
  if (found.length !== 1) throw new Error(`expected one image adapter, found ${found.length}`);
  return found[0];
}

/**
 * Register an adapter by its name (a test's throwaway adapter, or a fifth ecosystem outside this
 * file); returns the function that removes it again.
 */
export function registerAdapter(adapter: EcosystemAdapter): () => void {
  if (adapters.has(adapter.ecosystem)) throw new Error(`ecosystem '${adapter.ecosystem}' is registered already`);
  adapters.set(adapter.ecosystem, adapter);
  return () => void adapters.delete(adapter.ecosystem);
}
