import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import type { PushUsageReply, PushUsageRequest, RateLimitsRequest } from '@ccsync/contracts';
import { AgentError, ExitCode } from '../errors.ts';

/** The server could not take the batch now (unreachable, 429, 5xx): spool it and retry later. */
export class ServerUnavailableError extends Error {
  override readonly name = 'ServerUnavailableError';
}

/** The batch is more than the server stores as one event (413): send it in smaller parts. */
export class BatchTooLargeError extends Error {
  override readonly name = 'BatchTooLargeError';
}

/**
 * What became of an observation of the official rate limits: `stored`; `rejected` for good (400,
 * 413: sending it again cannot help); or `unavailable` for now (unreachable, 404 from a server
 * without the route yet, a refused token, 429, 5xx), to be sent again later.
 */
export type RateLimitsDelivery = 'stored' | 'rejected' | 'unavailable';

export interface IngestClient {
  pushUsage(batch: PushUsageRequest): Promise<PushUsageReply>;
  /** Never throws: the official figures are a courtesy, and must not fail a push. */
  pushRateLimits(observation: RateLimitsRequest): Promise<RateLimitsDelivery>;
}

const REQUEST_TIMEOUT_MS = 30_000;

interface HttpReply {
  readonly status: number;
  readonly body: string;
}

/**
 * One JSON POST with node:http rather than fetch: hooks run `ccsync push` on every prompt, and
 * loading fetch's implementation costs more than the whole warm push.
 */
function postJson(url: URL, token: string, body: string): Promise<HttpReply> {
  const send = url.protocol === 'https:' ? requestTls : request;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function createIngestClient(ingestUrl: string, token: string): IngestClient {
  const endpoint = new URL(`${ingestUrl}/v1/usage`);
  const rateLimitsEndpoint = new URL(`${ingestUrl}/v1/rate-limits`);
  return {
    async pushRateLimits(observation) {
      try {
        const { status } = await postJson(rateLimitsEndpoint, token, JSON.stringify(observation));
        if (status >= 200 && status < 300) return 'stored';
        return status === 400 || status === 413 ? 'rejected' : 'unavailable';
      } catch {
        return 'unavailable';
      }
    },
    async pushUsage(batch) {
      let reply: HttpReply;
      try {
        reply = await postJson(endpoint, token, JSON.stringify(batch));
      } catch (error) {
        throw new ServerUnavailableError(`cannot reach ${ingestUrl}: ${(error as Error).message}`, { cause: error });
      }
      const body = parseJson(reply.body);
      if (reply.status === 202 && typeof body?.seq === 'number') return body as unknown as PushUsageReply;
      const reason = typeof body?.code === 'string' ? `${body.code}: ${String(body.message)}` : `HTTP ${reply.status}`;
      if (reply.status === 401 || reply.status === 403) {
        throw new AgentError(ExitCode.AuthRefused, `The server refused this token (${reason})`);
      }
      if (reply.status === 429 || reply.status >= 500 || reply.status === 202) throw new ServerUnavailableError(reason);
      if (reply.status === 413) throw new BatchTooLargeError(reason);
      throw new AgentError(ExitCode.Rejected, `The server rejected a batch (${reason})`);
    },
  };
}
