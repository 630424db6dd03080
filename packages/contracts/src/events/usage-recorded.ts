import { z } from 'zod';

const tokenCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * Where usage came from: the agent's transcript records, the simple REST form (`api`), or Claude
 * Code's own OpenTelemetry export (`otlp`). Sources are kept apart so that one device is never
 * counted twice: telemetry counts only for a device that sends no transcripts.
 */
export const UsageSource = z.enum(['transcript', 'api', 'otlp']);
export type UsageSource = z.infer<typeof UsageSource>;

/**
 * The token counts exactly as Claude Code wrote them in `message.usage`. The history keeps the
 * raw fields; which of them make up "cache creation" is decided by the shared domain logic
 * (ccusage uses the ephemeral split when `cache_creation` is present).
 */
export const UsageTokens = z.object({
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  cacheCreationInputTokens: tokenCount.default(0),
  cacheReadInputTokens: tokenCount.default(0),
  /** Present only when the transcript line had `usage.cache_creation`. */
  cacheCreation: z
    .object({
      ephemeral5mInputTokens: tokenCount.default(0),
      ephemeral1hInputTokens: tokenCount.default(0),
    })
    .optional(),
});
export type UsageTokens = z.infer<typeof UsageTokens>;

/**
 * One assistant message's usage: everything the ccusage parity rules need to de-duplicate,
 * price and group it, and nothing else from the transcript.
 */
export const UsageEntry = z.object({
  /** Deterministic per record on its device, so a resent record is recognised as the same one. */
  id: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'letters, digits, "_" or "-", 8 to 128 characters'),
  /** When Claude Code wrote the line (ISO 8601). */
  timestamp: z.iso.datetime({ offset: true }),
  messageId: z.string().min(1).max(256).optional(),
  requestId: z.string().min(1).max(256).optional(),
  sessionId: z.string().min(1).max(256).optional(),
  isSidechain: z.boolean().default(false),
  model: z.string().min(1).max(256).optional(),
  /** `usage.speed`, e.g. "fast", which changes the price of some models. */
  speed: z.string().min(1).max(32).optional(),
  /** The project directory the transcript sits in under `projects/`, as ccusage names projects. */
  projectPath: z.string().min(1).max(4096).optional(),
  /**
   * Where the line was read: the transcript's path below `projects/` and the line's byte offset.
   * ccusage breaks ties and orders models by file path, then line; the projector needs the same.
   */
  file: z.string().min(1).max(4096).optional(),
  offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Which entry of its line this is: absent for the message itself, k + 1 for its k-th advisor iteration. */
  part: z.number().int().positive().max(1000).optional(),
  /** A cost that Claude Code itself wrote on the line, when it did. */
  costUSD: z.number().nonnegative().optional(),
  usage: UsageTokens,
});
export type UsageEntry = z.infer<typeof UsageEntry>;

/** The most entries one event (and so one JetStream message) carries. */
export const MAX_ENTRIES_PER_EVENT = 5000;

/**
 * UsageRecorded v1: a device recorded these assistant messages' usage. One event carries a batch,
 * because one JetStream message per record would cap ingest at the per-message publish rate.
 */
export const UsageRecordedV1 = z.object({
  source: UsageSource,
  entries: z.array(UsageEntry).min(1).max(MAX_ENTRIES_PER_EVENT),
});
export type UsageRecordedV1 = z.infer<typeof UsageRecordedV1>;
