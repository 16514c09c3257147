import { defineDialect } from '../contract.ts';
import { dcycleErrorFormat } from './errors.ts';
import { dcycleRoutes } from './routes.ts';

export const dcycle = defineDialect({
  id: 'dcycle',
  title: 'Dcycle',
  prefixes: ['/v1/custom-kpi-datasets'],
  routes: dcycleRoutes,
  errorFormat: dcycleErrorFormat,
  stringsAreStrings: true,
});
