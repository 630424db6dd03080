import { ErrorReply, PushUsageReply, type PushUsageRequest } from '@ccsync/contracts';
import { AgentError, ExitCode } from '../errors.ts';

/** The server could not take the batch now (unreachable, 429, 5xx): spool it and retry later. */
export class ServerUnavailableError extends Error {
  override readonly name = 'ServerUnavailableError';
}

export interface IngestClient {
  pushUsage(batch: PushUsageRequest): Promise<PushUsageReply>;
}

const REQUEST_TIMEOUT_MS = 30_000;

async function describe(response: Response): Promise<string> {
  const body = ErrorReply.safeParse(await response.json().catch(() => undefined));
  return body.success ? `${body.data.code}: ${body.data.message}` : `HTTP ${response.status}`;
}

export function createIngestClient(ingestUrl: string, token: string): IngestClient {
  return {
    async pushUsage(batch) {
      let response: Response;
      try {
        response = await fetch(`${ingestUrl}/v1/usage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(batch),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        throw new ServerUnavailableError(`cannot reach ${ingestUrl}: ${(error as Error).message}`, { cause: error });
      }
      if (response.status === 202) return PushUsageReply.parse(await response.json());
      const reason = await describe(response);
      if (response.status === 401 || response.status === 403) {
        throw new AgentError(ExitCode.AuthRefused, `The server refused this token (${reason})`);
      }
      if (response.status === 429 || response.status >= 500) throw new ServerUnavailableError(reason);
      throw new AgentError(ExitCode.Rejected, `The server rejected a batch (${reason})`);
    },
  };
}
