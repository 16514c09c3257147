import type { JobPorts } from '../../core/ports/index.ts';
import type { RepositoryHandle } from './handle.ts';

// core's JobPorts over the store's queries.
export function jobRepositories(_h: RepositoryHandle): JobPorts {
  return {};
}
