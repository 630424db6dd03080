import {
  CronCommandJob,
  type CronJob,
  CronJobSpec,
  type CronJobView,
  type SchedulerCaller,
  SERVER_PROGRAM_KINDS,
  UpdateCronJobRequest,
} from '@ccsync/contracts';
import { Errors } from '@ccsync/service-kit';
import { Cron } from 'croner';
import { z } from 'zod';
import type { SchedulerEnv } from '../config.ts';
import { webhookAllowed } from '../runs/job-kinds.ts';
import { CommandRefused, mapCommandLine } from './command-line.ts';

/** A job's schedule, read by croner: with an optional seconds field, in the job's zone. */
export function cronOf(job: Pick<CronJob, 'schedule' | 'timezone'>): Cron {
  return new Cron(job.schedule, { paused: true, ...(job.timezone === undefined ? {} : { timezone: job.timezone }) });
}

export function viewOf(job: CronJob): CronJobView {
  return { ...job, nextRunAt: job.enabled ? (cronOf(job).nextRun()?.toISOString() ?? null) : null };
}

const programsOf = (env: SchedulerEnv) => ({ ccusage: env.CCUSAGE_PATH, claude: env.CLAUDE_CODE_PATH });

/** A new job from `POST /api/cron/jobs`, validated, or a 400/403 error saying what is wrong. */
export function defineJob(body: unknown, caller: SchedulerCaller, env: SchedulerEnv, now: string): CronJob {
  // Parsed by the form it is in, so an error names the fields of that form.
  if (typeof body !== 'object' || body === null || !('command' in body)) {
    return checked({ ...parsed(CronJobSpec, body), createdAt: now, updatedAt: now }, caller, env);
  }
  const { command, ...settings } = parsed(CronCommandJob, body);
  const spec = parsed(CronJobSpec, { ...settings, ...mapped(command, env) });
  return checked({ ...spec, command, createdAt: now, updatedAt: now }, caller, env);
}

/**
 * A job changed by `PUT /api/cron/jobs/:id`. A `command`, or a `kind` or `args`, replaces what it
 * does; `timezone: null` clears the zone. Who may change a job is who may create it.
 */
export function changeJob(
  existing: CronJob,
  body: unknown,
  caller: SchedulerCaller,
  env: SchedulerEnv,
  now: string,
): CronJob {
  const { command, kind, args, timezone, ...settings } = parsed(UpdateCronJobRequest, body);
  const { createdAt, updatedAt: _, command: oldCommand, ...current } = existing;
  const what =
    command !== undefined
      ? mapped(command, env)
      : { kind: kind ?? current.kind, args: args ?? (kind === undefined || kind === current.kind ? current.args : {}) };
  const merged: Record<string, unknown> = { ...current, ...settings, ...what };
  if (timezone === null) delete merged.timezone;
  else if (timezone !== undefined) merged.timezone = timezone;
  const spec = parsed(CronJobSpec, merged);
  const source = command ?? (kind === undefined && args === undefined ? oldCommand : undefined);
  return checked(
    { ...spec, ...(source === undefined ? {} : { command: source }), createdAt, updatedAt: now },
    caller,
    env,
  );
}

/** Checks what the schemas cannot: the schedule, who may run the server's programs, webhook hosts. */
function checked(job: CronJob, caller: SchedulerCaller, env: SchedulerEnv): CronJob {
  let cron: Cron;
  try {
    cron = cronOf(job);
  } catch (error) {
    throw new Errors.Validation(`schedule: ${(error as Error).message}`);
  }
  if (cron.nextRun() === null) throw new Errors.Validation(`schedule: "${job.schedule}" never runs`);
  if (SERVER_PROGRAM_KINDS.includes(job.kind) && !caller.operator) {
    throw new Errors.Forbidden(`create ${job.kind} jobs: they run the server's programs, which only its operator may`);
  }
  if (job.kind === 'webhook' && !webhookAllowed(job.args.url, env.SCHEDULER_WEBHOOK_HOSTS)) {
    throw new Errors.Validation(`args.url: ${new URL(job.args.url).hostname} is not in SCHEDULER_WEBHOOK_HOSTS`);
  }
  return job;
}

function mapped(command: string, env: SchedulerEnv) {
  try {
    return mapCommandLine(command, programsOf(env));
  } catch (error) {
    if (error instanceof CommandRefused) throw new Errors.Validation(`command: ${error.message}`);
    throw error;
  }
}

function parsed<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new Errors.Validation(z.prettifyError(result.error));
  return result.data;
}
