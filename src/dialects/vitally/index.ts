import { defineDialect } from '../contract.ts';
import { vitallyErrorFormat } from './errors.ts';
import { vitallyRoutes } from './routes.ts';

export const vitally = defineDialect({
  id: 'vitally',
  title: 'Vitally',
  prefixes: ['/analytics/'],
  routes: vitallyRoutes,
  errorFormat: vitallyErrorFormat,
  // Segment-style clients send numeric ids (`userId: 4242`), which Vitally takes as text.
  stringsAreStrings: false,
});
