import sjson from 'secure-json-parse';
import { jsonTextProblem } from '../src/http/json-body.ts';

// Cost of the JSON body guard on a 10 MB native PUT body: Fastify's parse alone (before)
// against the guard's pass plus the same parse (after). Median of 7 runs each.
const points = [];
let text = '';
for (let i = 0; text.length < 10 * 1024 * 1024; i += 1000) {
  for (let j = 0; j < 1000; j++) {
    points.push({
      date: `2024-01-${String((j % 28) + 1).padStart(2, '0')}`,
      value: `${i + j}.25`,
      notes: 'n',
    });
  }
  text = JSON.stringify({ data_points: points });
}
const median = (f: () => void) => {
  const t: number[] = [];
  for (let r = 0; r < 7; r++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[3];
};
const opts = { protoAction: 'error', constructorAction: 'error' } as const;
const before = median(() => sjson.parse(text, opts));
const guard = median(() => jsonTextProblem(text));
const after = median(() => {
  jsonTextProblem(text);
  sjson.parse(text, opts);
});
console.log(
  `${(text.length / 1048576).toFixed(1)} MB, ${points.length} points: parse ${before.toFixed(1)} ms, guard ${guard.toFixed(1)} ms, guard+parse ${after.toFixed(1)} ms (+${(((after - before) / before) * 100).toFixed(0)}%)`,
);
