import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The methods routes answer on each path pattern, to tell "no such path" (404) from "not this method" (405). A
 * catch-all route (`*`: CORS answers preflight `OPTIONS` on every path) does not make a path known: with CORS on, an
 * unknown path is still a 404, not a 405 that allows only OPTIONS.
 */
export class RouteTable {
  readonly #patterns = new Map<string, { readonly regex: RegExp; readonly methods: Set<string> }>();
  /** Methods answered on every path. */
  readonly #everywhere = new Set<string>();

  /** Records every route the app registers from now on. */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) this.#add(route.url, method);
    });
  }

  /** The methods allowed on the request's path, when it has routes but none for its method. */
  allowed(request: FastifyRequest): string[] {
    const path = request.url.split('?')[0] ?? '';
    const methods = new Set<string>();
    for (const { regex, methods: known } of this.#patterns.values()) {
      if (regex.test(path)) for (const method of known) methods.add(method);
    }
    if (methods.size === 0) return [];
    for (const method of this.#everywhere) methods.add(method);
    return methods.has(request.method) ? [] : [...methods].sort();
  }

  #add(url: string, method: string): void {
    if (url === '*' || url === '/*') {
      this.#everywhere.add(method);
      return;
    }
    let entry = this.#patterns.get(url);
    if (entry === undefined) {
      // `:name` matches one path segment; `*` the rest of the path.
      const source = url
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escape(segment)))
        .join('/');
      this.#patterns.set(url, (entry = { regex: new RegExp(`^${source}/?$`), methods: new Set() }));
    }
    entry.methods.add(method);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
