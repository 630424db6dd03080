/**
 * The edge's Caddyfile read as a routing table: which upstream a request reaches. It understands
 * the subset deploy/Caddyfile uses, and throws on anything else, so that a new directive or matcher
 * cannot slip past the routing test unread:
 * - a site block of named matchers (`path`, `not path`, `method`) and `handle` blocks, each
 *   `import upstream <service> <port>`;
 * - path patterns that are exact or end in `*` (a prefix), as Caddy matches them.
 * Caddy orders `handle` blocks by their path matchers; the table does not depend on that order,
 * because a request that two matched blocks would send to different upstreams is an error here.
 */

/** A line of tokens, and the block it opens. */
interface Line {
  readonly tokens: readonly string[];
  readonly block: readonly Line[];
}

export interface Upstream {
  readonly service: string;
  readonly port: number;
}

type Condition = (request: { method: string; path: string }) => boolean;

interface Handle {
  readonly matcher: string | undefined;
  readonly upstream: Upstream;
}

export class EdgeRoutes {
  /** The site's address, e.g. `:80`. */
  readonly address: string;
  /** The lines of the `(upstream)` snippet that every handle imports. */
  readonly upstreamSnippet: readonly string[];
  readonly #matchers = new Map<string, Condition[]>();
  readonly #handles: Handle[] = [];

  constructor(text: string) {
    const top = parseLines(text);
    const snippet = top.find((line) => line.tokens[0] === '(upstream)');
    if (snippet === undefined) throw new Error('no (upstream) snippet');
    this.upstreamSnippet = flatten(snippet.block);

    const sites = top.filter((line) => line !== snippet);
    if (sites.length !== 1 || sites[0] === undefined) throw new Error('expected exactly one site block');
    const site = sites[0];
    this.address = site.tokens.join(' ');
    for (const line of site.block) {
      const [directive = '', ...args] = line.tokens;
      if (directive.startsWith('@')) this.#matchers.set(directive, matcherConditions(line));
      else if (directive === 'handle') this.#handles.push(handleOf(args, line.block));
      else throw new Error(`unsupported site directive ${directive}`);
    }
    for (const handle of this.#handles) {
      if (handle.matcher !== undefined && !this.#matchers.has(handle.matcher)) {
        throw new Error(`handle uses undefined matcher ${handle.matcher}`);
      }
    }
  }

  /** Every upstream some handle proxies to. */
  get upstreams(): Upstream[] {
    return this.#handles.map((handle) => handle.upstream);
  }

  /** Where a request goes. */
  upstreamFor(method: string, path: string): Upstream {
    const request = { method, path };
    const matched = this.#handles.filter(
      (handle) =>
        handle.matcher !== undefined &&
        (this.#matchers.get(handle.matcher) ?? []).every((condition) => condition(request)),
    );
    const services = new Set(matched.map((handle) => handle.upstream.service));
    if (services.size > 1) throw new Error(`${method} ${path} matches handles of ${[...services].join(' and ')}`);
    const chosen = matched[0] ?? this.#handles.find((handle) => handle.matcher === undefined);
    if (chosen === undefined) throw new Error(`${method} ${path} matches no handle`);
    return chosen.upstream;
  }
}

function matcherConditions(line: Line): Condition[] {
  const [, ...inline] = line.tokens;
  const lines = inline.length > 0 ? [inline] : line.block.map((child) => child.tokens);
  return lines.map((tokens) => {
    const [name = '', ...args] = tokens;
    if (name === 'path') return ({ path }) => args.some((pattern) => pathMatches(pattern, path));
    if (name === 'not' && args[0] === 'path') {
      const patterns = args.slice(1);
      return ({ path }) => !patterns.some((pattern) => pathMatches(pattern, path));
    }
    if (name === 'method') return ({ method }) => args.includes(method);
    throw new Error(`unsupported matcher condition: ${tokens.join(' ')}`);
  });
}

function pathMatches(pattern: string, path: string): boolean {
  const star = pattern.indexOf('*');
  if (star === -1) return path === pattern;
  if (star !== pattern.length - 1) throw new Error(`unsupported path pattern ${pattern}`);
  return path.startsWith(pattern.slice(0, -1));
}

function handleOf(args: readonly string[], block: readonly Line[]): Handle {
  if (args.length > 1 || (args[0] !== undefined && !args[0].startsWith('@'))) {
    throw new Error(`unsupported handle arguments: ${args.join(' ')}`);
  }
  const [only, ...rest] = block;
  const [keyword, snippet, service, port] = only?.tokens ?? [];
  if (rest.length > 0 || keyword !== 'import' || snippet !== 'upstream' || service === undefined) {
    throw new Error('a handle block must be exactly `import upstream <service> <port>`');
  }
  return { matcher: args[0], upstream: { service, port: Number(port) } };
}

/** Lines of whitespace-separated tokens, comments dropped, `{` … `}` blocks nested. */
function parseLines(text: string): Line[] {
  const root: { tokens: string[]; block: Line[] } = { tokens: [], block: [] };
  const open = [root];
  for (const raw of text.split('\n')) {
    const tokens = raw
      .replace(/(^|\s)#.*$/, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (tokens.length === 0) continue;
    if (tokens.some((token) => /["`]/.test(token))) throw new Error(`quoted tokens are not supported: ${raw}`);
    const current = open.at(-1) as { block: Line[] };
    if (tokens.length === 1 && tokens[0] === '}') {
      if (open.length === 1) throw new Error('unbalanced }');
      open.pop();
    } else if (tokens.at(-1) === '{') {
      const line = { tokens: tokens.slice(0, -1), block: [] as Line[] };
      current.block.push(line);
      open.push(line);
    } else {
      if (tokens.includes('{') || tokens.includes('}')) throw new Error(`one-line blocks are not supported: ${raw}`);
      current.block.push({ tokens, block: [] });
    }
  }
  if (open.length !== 1) throw new Error('unclosed {');
  return root.block;
}

function flatten(lines: readonly Line[]): string[] {
  return lines.flatMap((line) => [line.tokens.join(' '), ...flatten(line.block)]);
}
