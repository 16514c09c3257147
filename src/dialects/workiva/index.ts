import { defineDialect } from '../contract.ts';
import { workivaErrorFormat } from './errors.ts';
import { WORKIVA_DELETE, WORKIVA_UPSERT, workivaDelete, workivaUpsert } from './jobs.ts';
import { workivaRoutes } from './routes.ts';

export const workiva = defineDialect({
  id: 'workiva',
  title: 'Workiva',
  prefixes: ['/prototype/platform/'],
  routes: workivaRoutes,
  errorFormat: workivaErrorFormat,
  stringsAreStrings: true,
  jobs: { [WORKIVA_UPSERT]: workivaUpsert, [WORKIVA_DELETE]: workivaDelete },
});
