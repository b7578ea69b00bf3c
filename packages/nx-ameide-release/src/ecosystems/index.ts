import type { Ecosystem, EcosystemAdapter } from '../core/contract';
import { npmEcosystem } from './npm';
import { pypiEcosystem } from './pypi';
import { goEcosystem } from './go';

const adapters: Record<Ecosystem, EcosystemAdapter> = {
  npm: npmEcosystem,
  pypi: pypiEcosystem,
  go: goEcosystem,
};

export function adapterFor(ecosystem: Ecosystem): EcosystemAdapter {
  const adapter = adapters[ecosystem];
  if (!adapter) throw new Error(`unknown ecosystem '${ecosystem}' (expected one of ${Object.keys(adapters).join(', ')})`);
  return adapter;
}
