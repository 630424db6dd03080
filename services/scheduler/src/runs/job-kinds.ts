import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type AccountId,
  CcusageDailyReport,
  type CronJob,
  type CronJobExecutedV1,
  type CronRule,
  DeviceId,
  type Names,
  type SyncRequested,
} from '@ccsync/contracts';
import {
  type EventHistory,
  type Logger,
  type NatsConnection,
  type ProjectionRegistry,
  type Redis,
  usageSnapshotEvent,
} from '@ccsync/service-kit';
import { activeBlockAt } from '@ccsync/usage';
import { z } from 'zod';
import type { SchedulerEnv } from '../config.ts';
import { type ProgramResult, runProgram, truncateUtf8 } from './run-program.ts';

/** What a job kind produced: the part of a CronJobExecuted that is not about timing. */
export type Outcome = Pick<
  CronJobExecutedV1,
  'status' | 'exitCode' | 'error' | 'stdout' | 'stderr' | 'outputTruncated' | 'usage' | 'snapshotEventId'
>;

export interface KindContext {
  readonly env: SchedulerEnv;
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly redis: Redis;
  readonly registry: ProjectionRegistry;
  readonly history: EventHistory;
  readonly logger: Logger;
}

/** The environment variables a program of each kind gets from the scheduler's, and nothing else. */
const PASSED = {
  ccusage: ['PATH', 'HOME', 'CLAUDE_CONFIG_DIR', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'],
  claude: [
    'PATH',
    'HOME',
    'CLAUDE_CONFIG_DIR',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    'CLAUDE_CODE_OAUTH_TOKEN',
    // The container image sets it: Claude Code there is updated by rebuilding the image.
    'DISABLE_AUTOUPDATER',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'NO_PROXY',
  ],
} as const;

function programEnv(kind: keyof typeof PASSED, env: SchedulerEnv, timezone: string): Record<string, string> {
  const from: Record<string, string | undefined> = { ...process.env, CLAUDE_CONFIG_DIR: env.CLAUDE_CONFIG_DIR };
  const passed = Object.fromEntries(
    PASSED[kind].flatMap((name) => (from[name] === undefined ? [] : [[name, from[name] as string]])),
  );
  return { ...passed, LANG: 'C.UTF-8', TZ: timezone, NO_COLOR: '1', CI: '1' };
}

/** An outcome's fields when no program ran or it printed nothing worth keeping. */
export const NO_OUTPUT = { exitCode: null, stdout: '', stderr: '', outputTruncated: false } as const;

/** Runs one job of any kind for an account. */
export async function runKind(
  job: CronJob,
  account: AccountId,
  context: KindContext,
  signal: AbortSignal,
): Promise<Outcome> {
  const timezone = job.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const limits = (kind: keyof typeof PASSED) => ({
    cwd: join(context.env.SCHEDULER_WORK_DIR, account, job.name),
    env: programEnv(kind, context.env, timezone),
    timeoutMs: job.timeoutSeconds * 1000,
    maxOutputBytes: job.maxOutputBytes,
    signal,
  });
  switch (job.kind) {
    case 'ccusage': {
      const zone = job.args.timezone ?? timezone;
      const args = ['claude', 'daily', '--json', '--timezone', zone];
      if (job.args.offline) args.push('--offline');
      if (job.args.since !== undefined) args.push('--since', job.args.since);
      if (job.args.until !== undefined) args.push('--until', job.args.until);
      const ran = await runProgram(context.env.CCUSAGE_PATH, args, limits('ccusage'));
      if (ran.status !== 'succeeded') return ran;
      return recordSnapshot(
        ran,
        account,
        job.args.device ?? DeviceId.parse(context.env.SCHEDULER_DEVICE),
        zone,
        context,
      );
    }
    case 'claude': {
      const args = ['-p', job.args.prompt, '--output-format', 'json'];
      if (job.args.model !== undefined) args.push('--model', job.args.model);
      if (job.args.maxTurns !== undefined) args.push('--max-turns', String(job.args.maxTurns));
      return claudeOutcome(await runProgram(context.env.CLAUDE_CODE_PATH, args, limits('claude')));
    }
    case 'sync': {
      const request: SyncRequested = {
        account,
        requestId: randomUUID(),
        requestedAt: new Date().toISOString(),
        by: 'cron',
      };
      context.nc.publish(context.names.syncRequestSubject(account), JSON.stringify(request));
      return {
        ...NO_OUTPUT,
        status: 'succeeded',
        stdout: `asked the account's agents to push now (${request.requestId})`,
      };
    }
    case 'notify':
    case 'webhook': {
      const held = await ruleHolds(job.args.when, account, context);
      if (!held.holds) return { ...NO_OUTPUT, status: 'succeeded', stdout: held.detail };
      const message = job.args.message ?? held.detail;
      if (job.kind === 'notify') {
        context.nc.publish(
          context.names.relaySubject(account),
          JSON.stringify({ type: 'tts_notification', payload: { message, source: `cron:${job.name}` } }),
        );
        return { ...NO_OUTPUT, status: 'succeeded', stdout: `notified: ${message}` };
      }
      return callWebhook(job.args.url, { account, job: job.name, message }, job, context, signal);
    }
  }
}

/** A `ccusage` run's report, validated and recorded as the device's usage snapshot. */
async function recordSnapshot(
  ran: ProgramResult,
  account: AccountId,
  device: DeviceId,
  timezone: string,
  context: KindContext,
): Promise<Outcome> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(ran.stdout);
  } catch {
    return { ...ran, status: 'failed', error: 'ccusage did not print a JSON report' };
  }
  const report = CcusageDailyReport.safeParse(parsed);
  if (!report.success) {
    return {
      ...ran,
      status: 'failed',
      error: `ccusage's report is not a daily report: ${z.prettifyError(report.error)}`,
    };
  }
  const event = usageSnapshotEvent(account, device, report.data, timezone);
  await context.history.append(event, context.logger);
  const { totals } = report.data;
  return {
    ...ran,
    // The report itself is in the snapshot event; keeping it twice would only fill the history.
    stdout: '',
    usage: {
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      cacheCreationTokens: totals.cacheCreationTokens,
      cacheReadTokens: totals.cacheReadTokens,
      totalTokens: totals.totalTokens,
      totalCost: totals.totalCost,
    },
    snapshotEventId: event.id,
  };
}

/** What `claude -p --output-format json` prints, as far as a job reads it. */
const ClaudeResult = z.object({
  is_error: z.boolean().optional(),
  total_cost_usd: z.number().nonnegative().optional(),
  usage: z
    .object({
      input_tokens: z.number().int().nonnegative().default(0),
      output_tokens: z.number().int().nonnegative().default(0),
      cache_creation_input_tokens: z.number().int().nonnegative().default(0),
      cache_read_input_tokens: z.number().int().nonnegative().default(0),
    })
    .optional(),
});

function claudeOutcome(ran: ProgramResult): Outcome {
  let parsed: z.infer<typeof ClaudeResult> | undefined;
  try {
    parsed = ClaudeResult.safeParse(JSON.parse(ran.stdout)).data;
  } catch {
    parsed = undefined;
  }
  const usage = parsed?.usage;
  const outcome: Outcome = {
    ...ran,
    ...(usage === undefined
      ? {}
      : {
          usage: {
            inputTokens: usage.input_tokens,
            outputTokens: usage.output_tokens,
            cacheCreationTokens: usage.cache_creation_input_tokens,
            cacheReadTokens: usage.cache_read_input_tokens,
            totalTokens:
              usage.input_tokens +
              usage.output_tokens +
              usage.cache_creation_input_tokens +
              usage.cache_read_input_tokens,
            totalCost: parsed?.total_cost_usd ?? 0,
          },
        }),
  };
  if (ran.status === 'succeeded' && parsed?.is_error === true) {
    return { ...outcome, status: 'failed', error: 'claude reported an error' };
  }
  return outcome;
}

/** Whether a job's condition holds now, and why, for its output. */
async function ruleHolds(
  rule: CronRule | undefined,
  account: AccountId,
  context: KindContext,
): Promise<{ holds: boolean; detail: string }> {
  if (rule === undefined) return { holds: true, detail: 'scheduled notice' };
  const keys = await context.registry.activeKeys();
  const active = activeBlockAt(await context.redis.get(keys.lastBlock(account)), Date.now());
  const tokens = active?.block.totalTokens ?? 0;
  const percent = (tokens / rule.tokenLimit) * 100;
  const detail = `the active block is at ${percent.toFixed(1)}% of ${rule.tokenLimit} tokens`;
  return { holds: percent > rule.activeBlockPercent, detail };
}

/** POSTs a JSON notice; redirects are refused, so a listed host cannot send the request elsewhere. */
async function callWebhook(
  url: string,
  body: Readonly<Record<string, unknown>>,
  job: CronJob,
  context: KindContext,
  signal: AbortSignal,
): Promise<Outcome> {
  if (!webhookAllowed(url, context.env.SCHEDULER_WEBHOOK_HOSTS)) {
    return { ...NO_OUTPUT, status: 'failed', error: `${new URL(url).host} is not in SCHEDULER_WEBHOOK_HOSTS` };
  }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ccsync-scheduler' },
      body: JSON.stringify({ ...body, at: new Date().toISOString() }),
      redirect: 'error',
      signal: AbortSignal.any([signal, AbortSignal.timeout(job.timeoutSeconds * 1000)]),
    });
    const text = truncateUtf8(await response.text(), job.maxOutputBytes);
    return {
      ...NO_OUTPUT,
      status: response.ok ? 'succeeded' : 'failed',
      stdout: text.text,
      outputTruncated: text.truncated,
      ...(response.ok ? {} : { error: `the webhook answered ${response.status}` }),
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return {
      ...NO_OUTPUT,
      status: timedOut ? 'timed_out' : 'failed',
      error: timedOut ? 'the webhook did not answer in time' : `the webhook failed: ${(error as Error).message}`,
    };
  }
}

/** A webhook may call only hosts the operator listed. */
export function webhookAllowed(url: string, hosts: readonly string[]): boolean {
  return hosts.includes(new URL(url).hostname.toLowerCase());
}
