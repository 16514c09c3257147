import { achieveItErrorFormat } from '../dialects/achieveit/errors.ts';
import { dcycleErrorFormat } from '../dialects/dcycle/errors.ts';
import { visibleErrorFormat } from '../dialects/visible/errors.ts';
import { vitallyErrorFormat } from '../dialects/vitally/errors.ts';
import { workivaErrorFormat } from '../dialects/workiva/errors.ts';
import type { ErrorFormatter } from './error-format.ts';
import type { DialectId } from './route-config.ts';
import { problemFormat } from './v1/problem.ts';

// Each dialect's error shape, looked up by the route's `config.dialect`.
export const errorFormats: Record<DialectId, ErrorFormatter> = {
  native: problemFormat,
  dcycle: dcycleErrorFormat,
  visible: visibleErrorFormat,
  workiva: workivaErrorFormat,
  achieveit: achieveItErrorFormat,
  vitally: vitallyErrorFormat,
};
