import type { PointPorts } from '../../core/ports/index.ts';
import type { RepositoryHandle } from './handle.ts';

// core's PointPorts over the store's queries.
export function pointRepositories(_h: RepositoryHandle): PointPorts {
  return {};
}
