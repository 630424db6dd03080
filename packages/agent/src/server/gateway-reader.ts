import type { z } from 'zod';
import { AgentError, ExitCode } from '../errors.ts';
import type { AgentSettings } from '../settings.ts';

/** Reads the account from the gateway with the read token: reports, the monitor, the status line. */
export interface GatewayReader {
  /** The gateway's http(s) address, without a trailing slash. */
  readonly url: string;
  /** The gateway's WebSocket address (`/ws`). */
  readonly socketUrl: string;
  readonly token: string;
  /** GETs `path` (with its query) and validates the reply; every failure is an AgentError with its exit code. */
  get<T>(path: string, schema: z.ZodType<T>): Promise<T>;
  /** As `get`, but undefined when the gateway answers 404 (a route an older server does not have). */
  find<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined>;
}

const REQUEST_TIMEOUT_MS = 15_000;

export function gatewayReader(settings: AgentSettings): GatewayReader {
  const url = settings.gatewayUrl;
  if (url === undefined) {
    throw new AgentError(
      ExitCode.NotConfigured,
      'No gateway configured: pass --gateway <url> (or CCSYNC_GATEWAY_URL), or run `ccsync login <ingest-url> --gateway <url>`',
    );
  }
  const token = settings.readToken;
  if (token === undefined) {
    throw new AgentError(
      ExitCode.NotConfigured,
      'No token to read with: run `ccsync login` with an admin token, or pass --read-token (or CCSYNC_READ_TOKEN)',
    );
  }
  function request<T>(path: string, schema: z.ZodType<T>, allowNotFound: false): Promise<T>;
  function request<T>(path: string, schema: z.ZodType<T>, allowNotFound: true): Promise<T | undefined>;
  async function request<T>(path: string, schema: z.ZodType<T>, allowNotFound: boolean): Promise<T | undefined> {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AgentError(ExitCode.Unavailable, `Cannot reach the gateway at ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 404 && allowNotFound) return undefined;
    if (response.status === 401) throw new AgentError(ExitCode.AuthRefused, `The gateway at ${url} refused the token`);
    if (response.status === 403) {
      throw new AgentError(
        ExitCode.AuthRefused,
        'This token may not read the account (a device token only pushes): run `ccsync login` with an admin token, or pass --read-token',
      );
    }
    if (response.status === 400)
      throw new AgentError(ExitCode.Usage, `The gateway refused the request: ${messageOf(text)}`);
    if (response.status !== 200) {
      throw new AgentError(
        ExitCode.Unavailable,
        `The gateway answered ${path} with HTTP ${response.status}: ${messageOf(text)}`,
      );
    }
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new AgentError(
        ExitCode.Unavailable,
        `The gateway's reply to ${path} is not what this ccsync understands: a version mismatch?`,
      );
    }
    return parsed.data;
  }
  return {
    url,
    socketUrl: `${url.replace(/^http/, 'ws')}/ws`,
    token,
    get: (path, schema) => request(path, schema, false),
    find: (path, schema) => request(path, schema, true),
  };
}

function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
