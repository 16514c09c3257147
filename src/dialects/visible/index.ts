import { defineDialect } from '../contract.ts';
import { visibleErrorFormat } from './errors.ts';
import { visibleRoutes } from './routes.ts';

export const visible = defineDialect({
  id: 'visible',
  title: 'Visible',
  prefixes: ['/metrics', '/data_points'],
  routes: visibleRoutes,
  errorFormat: visibleErrorFormat,
  stringsAreStrings: true,
});
