/**
 * Compose files and their .env read as `docker compose` reads them, for the forms this repository
 * uses: YAML with `<<` merge keys, and `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}` and `$$` in values. A bare `$VAR` throws: it is easy to miss.
 */
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  deploy?: { replicas?: number };
  stop_grace_period?: string;
  restart?: string;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A variable reference in a value: `${name<operator><operand>}`, e.g. `${PORT:-8080}`. */
export interface VariableReference {
  readonly name: string;
  readonly operator: '' | ':-' | '-' | ':?' | '?';
  /** The default value, or the error message of a required variable. */
  readonly operand: string;
}

/** A `${VAR:?error}` whose variable is missing: compose refuses to start with the error. */
export class RequiredVariableError extends Error {
  override readonly name = 'RequiredVariableError';
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)([^}]*))?\}|\$([A-Za-z_{])/g;

/** Every variable reference in the file's values. */
export function variableReferences(text: string): VariableReference[] {
  const references: VariableReference[] = [];
  mapStrings(parseYaml(text), (value) => {
    for (const match of value.matchAll(REFERENCE)) {
      if (match[1] !== undefined) {
        const operator = (match[2] ?? '') as VariableReference['operator'];
        references.push({ name: match[1], operator, operand: match[3] ?? '' });
      }
    }
    return value;
  });
  return references;
}

/** The file with every value interpolated from `variables`, as `docker compose config` shows it. */
export function loadCompose(text: string, variables: Readonly<Record<string, string>>): ComposeFile {
  return mapStrings(parseYaml(text), (value) => interpolate(value, variables)) as ComposeFile;
}

function interpolate(value: string, variables: Readonly<Record<string, string>>): string {
  return value.replace(REFERENCE, (whole, name: string | undefined, operator = '', operand = '', bare) => {
    if (whole === '$$') return '$';
    if (bare !== undefined || name === undefined) throw new Error(`write "${whole}…" as \${NAME}: ${value}`);
    const current = variables[name];
    const empty = current === undefined || current === '';
    switch (operator) {
      case '':
        return current ?? '';
      case ':-':
        return empty ? operand : (current as string);
      case '-':
        return current ?? operand;
      case ':?':
        if (empty) throw new RequiredVariableError(`${name}: ${operand}`);
        return current as string;
      case '?':
        if (current === undefined) throw new RequiredVariableError(`${name}: ${operand}`);
        return current;
      default:
        throw new Error(`unsupported operator ${operator}`);
    }
  });
}

function parseYaml(text: string): unknown {
  return parse(text, { merge: true });
}

function mapStrings(node: unknown, map: (value: string) => string): unknown {
  if (typeof node === 'string') return map(node);
  if (Array.isArray(node)) return node.map((item) => mapStrings(item, map));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, mapStrings(value, map)]));
  }
  return node;
}

/** One `NAME=value` line of a .env file, with the comment lines right above it. */
export interface DotEnvEntry {
  readonly name: string;
  readonly value: string;
  readonly comment: string;
}

/** A .env file in the plain form compose reads: `NAME=value` lines, `#` comments, blank lines. */
export function parseDotEnv(text: string): DotEnvEntry[] {
  const entries: DotEnvEntry[] = [];
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (line.trim() !== '') {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      if (match === null) throw new Error(`not a NAME=value line: ${line}`);
      entries.push({ name: match[1] as string, value: match[2] as string, comment: comment.join(' ') });
    }
    comment = [];
  }
  return entries;
}

/** Compose's durations as this repository writes them (`15s`, `1m30s`, `500ms`), in milliseconds. */
export function durationMs(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.map((part) => part[0]).join('') !== duration) throw new Error(`unsupported duration ${duration}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((sum, [, count, suffix]) => sum + Number(count) * unit[suffix as keyof typeof unit], 0);
}

/** A short-syntax port mapping, `[ip:]host:container`. */
export function parsePort(mapping: string): { ip: string | undefined; host: string; container: string } {
  const parts = mapping.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`unsupported port mapping ${mapping}`);
  const [container = '', host = '', ip] = parts.reverse();
  return { ip, host, container };
}

/** A short-syntax volume, `source:target[:mode]`: a named volume, or a file from `./`. */
export function parseVolume(volume: string): { source: string; target: string; named: boolean } {
  const [source = '', target = ''] = volume.split(':');
  return { source, target, named: !/^[./~]/.test(source) };
}
