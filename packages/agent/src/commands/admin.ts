import { ProjectionsReply, RebuildReply } from '@ccsync/contracts';
import type { z } from 'zod';
import { AgentError, ExitCode } from '../errors.ts';
import { formatCount, printJson, printLine } from '../output.ts';

/** The flags of `ccsync admin …`: the gateway and the server's admin token. */
export interface AdminFlags {
  readonly gateway: string;
  readonly token?: string;
  readonly json?: boolean;
  readonly wait?: boolean;
}

/** How often `rebuild --wait` looks at the rebuild's progress. */
const POLL_MS = 500;

async function call<T>(flags: AdminFlags, method: 'GET' | 'POST', path: string, schema: z.ZodType<T>): Promise<T> {
  if (flags.token === undefined || flags.token === '') {
    throw new AgentError(ExitCode.NotConfigured, 'An admin token is required: pass --token or set CCSYNC_ADMIN_TOKEN');
  }
  const url = new URL(path, flags.gateway);
  let response: Response;
  try {
    response = await fetch(url, { method, headers: { authorization: `Bearer ${flags.token}` } });
  } catch (error) {
    throw new AgentError(ExitCode.Unexpected, `Cannot reach the gateway at ${url.origin}: ${(error as Error).message}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 401 || response.status === 403) {
    throw new AgentError(
      ExitCode.AuthRefused,
      `The gateway refused the token (${response.status}): use the server's admin token`,
    );
  }
  if (!response.ok) {
    const message = (body as { message?: string } | undefined)?.message ?? response.statusText;
    throw new AgentError(ExitCode.Unexpected, `The gateway answered ${response.status}: ${message}`);
  }
  return schema.parse(body);
}

function printProjections(reply: ProjectionsReply): void {
  printLine(
    `stream      ${formatCount(reply.stream.events)} events, last sequence ${formatCount(reply.stream.lastSeq)}`,
  );
  for (const projection of reply.projections) {
    const lag =
      projection.lagEvents === 0
        ? 'caught up'
        : `${formatCount(projection.lagEvents)} events behind (${projection.lagSeconds.toFixed(1)} s)`;
    printLine(
      `version ${projection.version}   ${projection.state.padEnd(8)} ${lag}, ${formatCount(Math.round(projection.eventsPerSecond))} events/s · ${projection.reason}`,
    );
  }
}

/** `ccsync admin projections`: each projection version's state, lag and apply rate. */
export async function runProjections(flags: AdminFlags): Promise<void> {
  const reply = await call(flags, 'GET', '/api/admin/projections', ProjectionsReply);
  if (flags.json) printJson(reply);
  else printProjections(reply);
}

/**
 * `ccsync admin rebuild`: builds the views again from the whole history beside the live ones.
 * With `--wait`, follows it until reads have switched, with a bar on a terminal.
 */
export async function runRebuild(flags: AdminFlags): Promise<void> {
  const rebuild = await call(flags, 'POST', '/api/admin/projections/rebuild', RebuildReply);
  if (!flags.wait) {
    if (flags.json) printJson(rebuild);
    else
      printLine(
        `${rebuild.created ? 'Started' : 'Already running:'} rebuild of the views as version ${rebuild.version}`,
      );
    return;
  }
  const startedAt = Date.now();
  const bar =
    process.stderr.isTTY && !flags.json
      ? new (await import('cli-progress')).SingleBar({
          stream: process.stderr,
          format: `Rebuilding version ${rebuild.version} |{bar}| {percentage}% · {value}/{total} events · ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
  bar?.start(1, 0);
  let state: ProjectionsReply;
  for (;;) {
    state = await call(flags, 'GET', '/api/admin/projections', ProjectionsReply);
    const building = state.projections.find((projection) => projection.version === rebuild.version);
    if (building === undefined) {
      bar?.stop();
      throw new AgentError(ExitCode.Unexpected, `Version ${rebuild.version} is gone: another rebuild replaced it`);
    }
    bar?.setTotal(Math.max(state.stream.lastSeq, 1));
    bar?.update(building.acknowledgedThrough);
    if (building.state === 'active') break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  bar?.stop();
  const seconds = (Date.now() - startedAt) / 1000;
  if (flags.json) printJson({ ...rebuild, seconds, projections: state.projections });
  else printLine(`Reads switched to version ${rebuild.version} after ${seconds.toFixed(1)} s`);
}
