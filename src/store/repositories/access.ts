import type { AccessPorts } from '../../core/ports/index.ts';
import type { RepositoryHandle } from './handle.ts';

// core's AccessPorts over the store's queries.
export function accessRepositories(_h: RepositoryHandle): AccessPorts {
  return {};
}
