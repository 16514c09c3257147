// The V8 flags `npm start` runs the server with (package.json's start script; the bench starts
// its servers with the same, test/server-flags.test.ts keeps the two in step).
//
// A read that answers thousands of rollup rows (a breakdown of every member by month: 33,000
// points, 2 MB of JSON) keeps everything it allocates alive until it answers. With V8's
// default 16 MB semi-space a scavenge falls in the middle of such a request, copies all of it
// and promotes it to the old generation, and every tenth request then paid a full collection:
// 90–105 ms against 60–70 ms for the others. With 64 MB a request's garbage dies young: p50
// 67 → 52–57 ms, and no periodic spike (docs/performance.md). The semi-space grows only as
// allocation needs it, but starting the server already grows it to the full 64 MB: an idle
// server measured 177 MB resident against 148 MB with V8's default, and a busy one holds up to
// ~110 MB more (docs/benchmarks.md, the export's peak RSS). It is why a 1M-row CSV import
// peaks at ~310 MB, above issue 5's 250 MB (254 MB with the default; docs/performance.md).
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
