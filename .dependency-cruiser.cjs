// The layers of KPI Hub (docs/architecture.md), checked in `npm test` (npm run lint:layers).
// Lower layers never import higher ones:
//   core (domain rules, ports)  <-  store (implements the ports; engine adapters)
//   core                        <-  dialects (map vendor shapes onto core)
//   core, store                 <-  jobs (durable job machinery)
//   everything                  <-  composition roots: src/http/app.ts, src/cli/, src/server.ts
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one; split out what both need.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'Core states what it needs as ports (src/core/ports) and never reaches storage, HTTP or a driver.',
      from: { path: '^src/core/' },
      to: {
        path: [
          '^src/(store|http|dialects|jobs|cli)/',
          '^src/config\\.ts$',
          'node_modules/(kysely|better-sqlite3|pg|pg-copy-streams|fastify|@fastify|ioredis)/',
        ],
      },
    },
    {
      name: 'store-below-delivery',
      severity: 'error',
      comment: 'The store implements core ports; it knows nothing of HTTP, dialects, jobs or the CLI.',
      from: { path: '^src/store/' },
      to: { path: '^src/(http|dialects|jobs|cli)/' },
    },
    {
      name: 'kysely-in-store-and-jobs',
      severity: 'error',
      comment:
        'Queries are the store\'s; the job machinery (a durable queue in SQL) also runs its own transactions. Nothing else sees Kysely.',
      from: { path: '^src/', pathNot: '^src/(store|jobs)/' },
      to: { path: 'node_modules/kysely/' },
    },
    {
      name: 'drivers-in-engines',
      severity: 'error',
      comment: 'A database driver is reached only through its engine adapter (src/store/engine/).',
      from: { path: '^src/', pathNot: '^src/store/engine/' },
      to: { path: 'node_modules/(better-sqlite3|pg|pg-copy-streams)/' },
    },
    {
      name: 'jobs-below-dialects',
      severity: 'error',
      comment: 'The job machinery runs handlers it is given; dialects contribute them at the composition root.',
      from: { path: '^src/jobs/' },
      to: { path: '^src/(http|dialects|cli)/' },
    },
    {
      name: 'dialects-are-leaves',
      severity: 'error',
      comment: 'A dialect maps shapes; it reaches core and shared HTTP helpers, never the store, the CLI, the app root or another dialect.',
      from: { path: '^src/dialects/([^/]+)/' },
      to: {
        path: ['^src/(store|cli|jobs)/', '^src/http/app\\.ts$', '^src/dialects/([^/]+)/'],
        pathNot: ['^src/dialects/$1/'],
      },
    },
    {
      name: 'http-helpers-below-dialects',
      severity: 'error',
      comment: 'Shared HTTP helpers serve every dialect; only the composition root lists the dialects.',
      from: { path: '^src/http/', pathNot: '^src/http/app\\.ts$' },
      to: { path: ['^src/dialects/', '^src/cli/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
    exclude: { path: '^(test|bench|reliability|web|dist)/' },
  },
};
