import { z } from 'zod';
import { TimeZone } from '../http/common.ts';
import { DeviceId } from '../ids.ts';

/** A job's name, which is also its id in the API: `token_sync`, `usage-collection`. */
export const CronJobId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, "_" or "-", at most 64 characters');
export type CronJobId = z.infer<typeof CronJobId>;

/**
 * What a job does. Each kind runs one fixed program with arguments built from validated fields, so
 * the API can never be used to run anything else.
 */
export const CronJobKind = z.enum(['ccusage', 'claude', 'sync', 'notify', 'webhook']);
export type CronJobKind = z.infer<typeof CronJobKind>;

/** The kinds that run a program of the server with the server's own credentials and data. */
export const SERVER_PROGRAM_KINDS: readonly CronJobKind[] = ['ccusage', 'claude'];

const Day = z.string().regex(/^\d{8}$/, 'YYYYMMDD, as ccusage takes it');

/** `ccusage claude daily --json`, recorded as the device's usage snapshot. */
export const CcusageJobArgs = z.strictObject({
  /** The device the snapshot is recorded for: by default the scheduler's `SCHEDULER_DEVICE`. */
  device: DeviceId.optional(),
  since: Day.optional(),
  until: Day.optional(),
  /** The zone days are counted in; by default the job's `timezone`, else the scheduler's. */
  timezone: TimeZone.optional(),
  /** Prices from ccusage's bundled table rather than a download: the same numbers on every run. */
  offline: z.boolean().default(true),
});

/** `claude -p <prompt> --output-format json`, in the job's own working directory. */
export const ClaudeJobArgs = z.strictObject({
  prompt: z.string().min(1).max(20_000),
  model: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,99}$/, 'a model name or alias such as sonnet')
    .optional(),
  maxTurns: z.number().int().min(1).max(100).optional(),
});

/**
 * A condition on the account's active 5-hour block: the job acts only while it holds. Without one,
 * it acts on every run.
 */
export const CronRule = z.strictObject({
  /** The active block's tokens as a percentage of `tokenLimit`. */
  activeBlockPercent: z.number().positive().max(1000),
  tokenLimit: z.number().int().positive(),
});
export type CronRule = z.infer<typeof CronRule>;

/** Asks the account's connected agents to push now: the seed's sync before a first prompt. */
export const SyncJobArgs = z.strictObject({});

/** Sends a `tts_notification` to the account's clients. */
export const NotifyJobArgs = z.strictObject({
  message: z.string().min(1).max(1000),
  when: CronRule.optional(),
});

/** POSTs a JSON notice to a URL whose host the server allows (`SCHEDULER_WEBHOOK_HOSTS`). */
export const WebhookJobArgs = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  message: z.string().max(1000).optional(),
  when: CronRule.optional(),
});

const JobSettings = {
  name: CronJobId,
  /** A cron expression, with an optional leading seconds field: `*\/5 * * * *`, `0 0 9 * * MON-FRI`. */
  schedule: z.string().min(1).max(200),
  /** The zone the schedule is read in; the scheduler's own by default. */
  timezone: TimeZone.optional(),
  enabled: z.boolean().default(true),
  timeoutSeconds: z.number().int().min(1).max(3600).default(300),
  /** Each of stdout and stderr is kept up to this many bytes; a program that writes more is stopped. */
  maxOutputBytes: z.number().int().min(1024).max(262_144).default(65_536),
  /** How many more times a failed, timed-out or lost run is tried. */
  retries: z.number().int().min(0).max(5).default(0),
  /** Whether a tick that comes while the previous run is still going runs too (`allow`) or is skipped. */
  overlap: z.enum(['skip', 'allow']).default('skip'),
};

/** A job as the API takes it, by kind. */
export const CronJobSpec = z.discriminatedUnion('kind', [
  z.strictObject({ ...JobSettings, kind: z.literal('ccusage'), args: CcusageJobArgs.default({ offline: true }) }),
  z.strictObject({ ...JobSettings, kind: z.literal('claude'), args: ClaudeJobArgs }),
  z.strictObject({ ...JobSettings, kind: z.literal('sync'), args: SyncJobArgs.default({}) }),
  z.strictObject({ ...JobSettings, kind: z.literal('notify'), args: NotifyJobArgs }),
  z.strictObject({ ...JobSettings, kind: z.literal('webhook'), args: WebhookJobArgs }),
]);
export type CronJobSpec = z.infer<typeof CronJobSpec>;

/**
 * The seed's form: a command line instead of a kind. It is accepted only where it maps to a kind
 * (`ccusage daily ...`, `claude -p "..."`, `ccusage sync`); anything else is refused.
 */
export const CronCommandJob = z.strictObject({ ...JobSettings, command: z.string().min(1).max(21_000) });
export type CronCommandJob = z.infer<typeof CronCommandJob>;

/** `POST /api/cron/jobs`. */
export const CreateCronJobRequest = z.union([CronJobSpec, CronCommandJob]);
export type CreateCronJobRequest = z.infer<typeof CreateCronJobRequest>;

/**
 * `PUT /api/cron/jobs/:id`: the fields to change. A `command`, or a `kind` with its `args`, replaces
 * what the job does; the result is validated as a whole.
 */
export const UpdateCronJobRequest = z.strictObject({
  schedule: JobSettings.schedule.optional(),
  timezone: TimeZone.nullable().optional(),
  enabled: z.boolean().optional(),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  maxOutputBytes: z.number().int().min(1024).max(262_144).optional(),
  retries: z.number().int().min(0).max(5).optional(),
  overlap: z.enum(['skip', 'allow']).optional(),
  kind: CronJobKind.optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  command: z.string().min(1).max(21_000).optional(),
});
export type UpdateCronJobRequest = z.infer<typeof UpdateCronJobRequest>;

/** A stored job. */
export const CronJob = z.intersection(
  CronJobSpec,
  z.object({
    /** The command line it was created from, when it was. */
    command: z.string().optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
export type CronJob = z.infer<typeof CronJob>;

/** A stored job as the API shows it: with its next scheduled run. */
export const CronJobView = z.intersection(CronJob, z.object({ nextRunAt: z.iso.datetime().nullable() }));
export type CronJobView = z.infer<typeof CronJobView>;

export const CronJobListReply = z.object({ jobs: z.array(CronJobView) });
export type CronJobListReply = z.infer<typeof CronJobListReply>;

export const CronJobParams = z.object({ id: CronJobId });

/** `POST /api/cron/jobs/:id/execute` and `POST /api/usage/ccusage`. */
export const ExecuteCronJobQuery = z.object({
  /** Answer when the run has finished, with its result, rather than as soon as it has started. */
  wait: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});
