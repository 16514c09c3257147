import { defineDialect } from '../contract.ts';
import { achieveItJobHandlers } from './csv-jobs.ts';
import { achieveItErrorFormat } from './errors.ts';
import { achieveItRoutes } from './routes.ts';

export const achieveit = defineDialect({
  id: 'achieveit',
  title: 'AchieveIt',
  prefixes: ['/api/'],
  routes: achieveItRoutes,
  errorFormat: achieveItErrorFormat,
  stringsAreStrings: true,
  jobs: achieveItJobHandlers,
});
