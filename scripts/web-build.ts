import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Builds the dashboard (web/ → web/dist) when it is missing or older than its sources, so
// that `npm install && npm start` is the whole setup on a fresh clone, and a start after a
// `git pull` serves the new pages. `npm start` runs this before the server; the test setup
// runs it before the browser tests.
//
//   node --import tsx scripts/web-build.ts          build if stale
//   node --import tsx scripts/web-build.ts --force  build anyway

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIR = join(ROOT, 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');

/** What the build is made from: the pages' sources, its config, and the installed versions. */
const SOURCES = ['index.html', 'vite.config.ts', 'src'].map((p) => join(WEB_DIR, p));

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Why the build must be made again, or undefined when it is up to date. */
export function webBuildStaleness(): string | undefined {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return 'the dashboard is not built';
  const builtAt = statSync(built).mtimeMs;
  const sources = Math.max(...SOURCES.map(newest), newest(join(ROOT, 'package-lock.json')));
  return sources > builtAt ? 'the dashboard sources changed since it was built' : undefined;
}

/** Runs Vite's production build (its report prints the gzipped size of each file). */
export async function buildWeb(opts: { quiet?: boolean } = {}): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: opts.quiet ? 'warn' : 'info' });
}

export async function ensureWebBuild(opts: { quiet?: boolean } = {}): Promise<void> {
  const why = webBuildStaleness();
  if (why === undefined) return;
  if (!opts.quiet) console.log(`Building the dashboard (${why})…`);
  await buildWeb(opts);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--force')) await buildWeb();
  else await ensureWebBuild();
}
