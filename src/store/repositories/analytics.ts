import type { AnalyticsPorts } from '../../core/ports/index.ts';
import type { RepositoryHandle } from './handle.ts';

// core's AnalyticsPorts over the store's queries.
export function analyticsRepositories(_h: RepositoryHandle): AnalyticsPorts {
  return {};
}
