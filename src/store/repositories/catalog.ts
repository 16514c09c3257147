import type { CatalogPorts } from '../../core/ports/index.ts';
import type { RepositoryHandle } from './handle.ts';

// core's CatalogPorts over the store's queries.
export function catalogRepositories(_h: RepositoryHandle): CatalogPorts {
  return {};
}
