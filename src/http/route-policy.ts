import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify';

// Deny by default: every route says who may call it, either a scope (`read`, `write`,
// `admin`) or `public: true`. A route that says neither (or both) stops the app at
// start-up, so forgetting the scope can never publish a route silently.

const SCOPES = new Set(['read', 'write', 'admin']);

/** Set on a plugin context whose routes are all public (swagger-ui's, which take no config). */
const PUBLIC_CONTEXT = Symbol('kpihub.publicRoutes');

/** One registered route, as the route table tests walk it (D: the dialect ids a caller knows). */
export interface RouteEntry<D extends string = string> {
  method: string;
  url: string;
  dialect: D;
  scope?: 'read' | 'write' | 'admin';
  public: boolean;
  constraints: Record<string, unknown>;
  options: RouteOptions;
}

const tables = new WeakMap<object, RouteOptions[]>();

/** Throws, naming the route, unless it declares exactly one of `scope` and `public: true`. */
export function checkRoutePolicy(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): void {
  const config = (route.config ?? {}) as { scope?: unknown; public?: unknown };
  const name = `${([] as string[]).concat(route.method).join(',')} ${route.url}`;
  const hasScope = config.scope !== undefined;
  const isPublic = config.public !== undefined;
  if (hasScope && isPublic) throw new Error(`Route ${name} declares both a scope and public: choose one`);
  if (!hasScope && !isPublic) {
    throw new Error(`Route ${name} declares neither a scope nor public: true (deny by default)`);
  }
  if (hasScope && !SCOPES.has(config.scope as string)) {
    throw new Error(`Route ${name} declares an unknown scope ${JSON.stringify(config.scope)}`);
  }
  if (isPublic && config.public !== true) throw new Error(`Route ${name}: public must be true`);
}

/**
 * Registers the policy as an onRoute hook on the root instance, before any route: it runs
 * for every route of every plugin, first among the onRoute hooks, on the options as the
 * route declared them (the dialects' hooks add only the dialect).
 */
export function registerRoutePolicy(app: FastifyInstance): void {
  const table: RouteOptions[] = [];
  tables.set(app, table);
  app.addHook('onRoute', function (route) {
    // @fastify/cors's preflight route (OPTIONS *, only when KPIHUB_CORS_ORIGINS is set): a
    // browser sends a preflight without credentials, so it is public by nature.
    if (route.method === 'OPTIONS' && route.url === '*' && route.config === undefined) {
      route.config = { public: true };
    }
    if ((this as unknown as Record<symbol, unknown>)[PUBLIC_CONTEXT] === true) {
      route.config = { ...(route.config ?? {}), public: true };
    }
    checkRoutePolicy(route);
    table.push(route);
  });
}

/**
 * A plugin context whose routes are all public, for plugins whose routes cannot carry our
 * config (swagger-ui): `register` registers them inside it; the context, and every context
 * below it, is marked, and the policy hook reads the mark.
 */
export function publicContext(
  register: (scope: FastifyInstance) => PromiseLike<unknown>,
): FastifyPluginAsync {
  return async (scope) => {
    scope.decorate(PUBLIC_CONTEXT, true);
    await register(scope);
  };
}

/** Every route registered on the app, one entry a method (HEAD included), as finally configured. */
export function registeredRoutes<D extends string = string>(app: FastifyInstance): RouteEntry<D>[] {
  const table = tables.get(app);
  if (!table) throw new Error('registerRoutePolicy was not called on this app');
  return table.flatMap((route) =>
    ([] as string[]).concat(route.method).map((method) => {
      const config = (route.config ?? {}) as {
        dialect?: string;
        scope?: RouteEntry['scope'];
        public?: boolean;
      };
      return {
        method,
        url: route.url,
        dialect: (config.dialect ?? 'native') as D,
        ...(config.scope ? { scope: config.scope } : {}),
        public: config.public === true,
        constraints: (route.constraints ?? {}) as Record<string, unknown>,
        options: route,
      };
    }),
  );
}
