import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.ts';

// `npm start` and the bench's servers run node with the same V8 flags (src/cli/node-flags.ts).
describe('the server node flags', () => {
  it('are the flags of the start script', () => {
    const start = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string;
    const served = /\bexec node (.*?) ?dist\/kpihub\.mjs serve$/.exec(start);
    expect(served, start).not.toBeNull();
    expect(served?.[1].split(' ').filter(Boolean)).toEqual([...SERVER_NODE_FLAGS]);
  });
});
