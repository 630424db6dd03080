import { createHash } from 'node:crypto';
import type { UsageEntry, UsageTokens } from '@ccsync/contracts';
import { parseStrictTimestamp } from './timestamp.ts';

/** Where a transcript line was read, and what its path says about it. */
export interface TranscriptLineContext {
  /** The transcript's path below `projects/`; with `offset`, what makes each entry id unique. */
  readonly file: string;
  /** Byte offset of the line in the file. */
  readonly offset: number;
  readonly projectPath: string;
  /** `sessionFromPath(file)`: ccusage's session for lines without `sessionId`. */
  readonly fallbackSessionId: string;
}

/**
 * ccusage only looks at lines containing these exact bytes. Claude Code writes compact JSON, so every real
 * usage line has them; a line written `"usage": {` is skipped by ccusage, and so here.
 */
const USAGE_MARKER = '"usage":{';

/**
 * ccusage skips a line in which one of these keys is followed by `:null` anywhere, at any depth (e.g.
 * `"toolUseResult":{"id":null}`). `"model":null` is the exception inside `message.usage.iterations`, so it
 * is counted separately.
 */
const FATAL_NULLS = [
  '"id":null',
  '"cwd":null',
  '"speed":null',
  '"costUSD":null',
  '"version":null',
  '"sessionId":null',
  '"requestId":null',
  '"isApiErrorMessage":null',
  '"cache_read_input_tokens":null',
  '"cache_creation_input_tokens":null',
] as const;
const MODEL_NULL = '"model":null';

/** ccusage reads token counts as u64: a literal like `100.0` or `1e2` is a type error that skips the line. */
const TOKEN_FIELD_END = '_tokens":';

/** `version` must start `<digits>.<digits>.<digit>` ("1.0.0", "2.1.3-beta+x"; not "1.0" or "abc"). */
const VERSION_PREFIX = /^\d+\.\d+\.\d/;

const ADVISOR_ITERATION = 'advisor_message';

const NO_ENTRIES: readonly UsageEntry[] = Object.freeze([]);

type JsonObject = Record<string, unknown>;

/**
 * The usage entries one transcript line contributes, by ccusage 20.0.24's rules (docs/ccusage-parity.md §4):
 * none for most lines, one for an assistant message with valid `message.usage`, plus one per advisor
 * iteration. A malformed or half-written line yields none; it is not an error.
 *
 * Claude Code's `"type":"progress"` lines embed a subagent's message under `data.message`. ccusage 20.0.24
 * counts those in `daily` only, never in `blocks`. ccsync follows the brief's one rule for every report, "only
 * lines with `message.usage` count", so they yield nothing here: the same message is also written to the
 * subagent's own transcript (`subagents/*.jsonl`), where it is counted once.
 *
 * A line's `isApiErrorMessage` must be a boolean when present (ccusage's blocks rule; its daily loader
 * ignores the field), for the same reason.
 */
export function parseTranscriptLine(line: string, context: TranscriptLineContext): readonly UsageEntry[] {
  // Cheap byte checks first: most lines of a multi-GB history are not usage lines.
  if (!line.includes(USAGE_MARKER)) return NO_ENTRIES;
  let modelNulls = 0;
  if (line.includes(':null')) {
    for (const fatal of FATAL_NULLS) if (line.includes(fatal)) return NO_ENTRIES;
    modelNulls = countOccurrences(line, MODEL_NULL);
  }

  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return NO_ENTRIES;
  }
  if (!isObject(record)) return NO_ENTRIES;
  const message = record.message;
  if (!isObject(message)) return NO_ENTRIES;
  const rawUsage = message.usage;
  if (!isObject(rawUsage)) return NO_ENTRIES;

  if (typeof record.timestamp !== 'string') return NO_ENTRIES;
  const instant = parseStrictTimestamp(record.timestamp);
  if (instant === undefined) return NO_ENTRIES;

  const usage = readUsage(rawUsage);
  if (usage === undefined) return NO_ENTRIES;
  const speed = rawUsage.speed;
  if (speed !== undefined && speed !== null && speed !== 'standard' && speed !== 'fast') return NO_ENTRIES;

  const messageId = optionalNonEmptyString(message.id);
  const model = optionalNonEmptyString(message.model);
  const requestId = optionalNonEmptyString(record.requestId);
  const sessionId = optionalNonEmptyString(record.sessionId);
  const version = optionalNonEmptyString(record.version);
  if (messageId === INVALID || model === INVALID || requestId === INVALID || sessionId === INVALID) return NO_ENTRIES;
  if (version === INVALID || (version !== undefined && !VERSION_PREFIX.test(version))) return NO_ENTRIES;
  const isSidechain = optionalBoolean(record.isSidechain);
  if (isSidechain === INVALID || optionalBoolean(record.isApiErrorMessage) === INVALID) return NO_ENTRIES;
  const costUSD = record.costUSD;
  if (costUSD !== undefined && costUSD !== null && typeof costUSD !== 'number') return NO_ENTRIES;

  const advisors = readAdvisorIterations(rawUsage.iterations);
  if (advisors === undefined) return NO_ENTRIES;
  if (modelNulls > advisors.modelNulls) return NO_ENTRIES;
  if (hasNonIntegerTokenLiteral(line)) return NO_ENTRIES;

  const id = entryId(context.file, context.offset);
  const timestamp = new Date(instant).toISOString();
  const session = sessionId ?? context.fallbackSessionId;
  const sidechain = isSidechain === true;
  const entry: UsageEntry = {
    id,
    timestamp,
    messageId,
    requestId,
    sessionId: session,
    isSidechain: sidechain,
    model,
    speed: speed ?? undefined,
    projectPath: context.projectPath,
    // A negative cost is outside the contract; ccusage never sees one from Claude Code.
    costUSD: typeof costUSD === 'number' && costUSD >= 0 ? costUSD : undefined,
    file: context.file,
    offset: context.offset,
    usage,
  };
  if (advisors.iterations.length === 0) return [entry];

  // Each advisor iteration is a message of its own, priced from its own tokens (never the line's costUSD).
  const entries = [entry];
  advisors.iterations.forEach((advisor, k) => {
    entries.push({
      id: `${id}-advisor-${k}`,
      part: k + 1,
      timestamp,
      messageId: messageId === undefined ? undefined : `${messageId}:advisor:${k}`,
      requestId,
      sessionId: session,
      isSidechain: sidechain,
      model: advisor.model,
      speed: undefined,
      projectPath: context.projectPath,
      costUSD: undefined,
      file: context.file,
      offset: context.offset,
      usage: advisor.usage,
    });
  });
  return entries;
}

let lastFile: string | undefined;
let lastFileKey = '';

/**
 * Deterministic, unique per (file, offset), and a valid contract id: a hash of the file's path
 * (16 base64url characters, computed once per file, not once per line) and the offset in base 36.
 */
export function entryId(file: string, offset: number): string {
  if (file !== lastFile) {
    lastFile = file;
    lastFileKey = createHash('sha256').update(file).digest('base64url').slice(0, 16);
  }
  return `${lastFileKey}-${offset.toString(36)}`;
}

const INVALID = Symbol('invalid');

function optionalNonEmptyString(value: unknown): string | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined;
  // ccusage rejects a present-but-empty sessionId, requestId, message.id, message.model or version.
  return typeof value === 'string' && value.length > 0 ? value : INVALID;
}

function optionalBoolean(value: unknown): boolean | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'boolean' ? value : INVALID;
}

/** Token counts with ccusage's types: required integer input/output, optional integer cache fields. */
function readUsage(raw: JsonObject): UsageTokens | undefined {
  const inputTokens = tokenCount(raw.input_tokens);
  const outputTokens = tokenCount(raw.output_tokens);
  const cacheCreationInputTokens = optionalTokenCount(raw.cache_creation_input_tokens);
  const cacheReadInputTokens = optionalTokenCount(raw.cache_read_input_tokens);
  if (
    inputTokens === undefined ||
    outputTokens === undefined ||
    cacheCreationInputTokens === undefined ||
    cacheReadInputTokens === undefined
  ) {
    return undefined;
  }
  const split = raw.cache_creation;
  if (split === undefined || split === null) {
    return { inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens };
  }
  if (!isObject(split)) return undefined;
  // Present (even `{}`): cache creation is 5m + 1h and cache_creation_input_tokens is ignored.
  // Inside it a missing field is 0, but `null` skips the line.
  const ephemeral5mInputTokens = tokenCount(
    split.ephemeral_5m_input_tokens === undefined ? 0 : split.ephemeral_5m_input_tokens,
  );
  const ephemeral1hInputTokens = tokenCount(
    split.ephemeral_1h_input_tokens === undefined ? 0 : split.ephemeral_1h_input_tokens,
  );
  if (ephemeral5mInputTokens === undefined || ephemeral1hInputTokens === undefined) return undefined;
  return {
    inputTokens,
    outputTokens,
    cacheCreationInputTokens,
    cacheReadInputTokens,
    cacheCreation: { ephemeral5mInputTokens, ephemeral1hInputTokens },
  };
}

interface AdvisorIteration {
  readonly model: string;
  readonly usage: UsageTokens;
}

/**
 * `message.usage.iterations` entries of type `advisor_message` with a model each add an entry. Returns
 * undefined when an advisor iteration's tokens are invalid (the line is skipped), and how many iterations
 * have `"model":null`, the one place where ccusage tolerates that null.
 */
function readAdvisorIterations(
  raw: unknown,
): { readonly iterations: readonly AdvisorIteration[]; readonly modelNulls: number } | undefined {
  if (!Array.isArray(raw)) return { iterations: [], modelNulls: 0 };
  const iterations: AdvisorIteration[] = [];
  let modelNulls = 0;
  for (const item of raw) {
    if (!isObject(item)) continue;
    if (item.model === null) modelNulls++;
    if (item.type !== ADVISOR_ITERATION || typeof item.model !== 'string' || item.model.length === 0) continue;
    const usage = readUsage(item);
    if (usage === undefined) return undefined;
    iterations.push({ model: item.model, usage });
  }
  return { iterations, modelNulls };
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function optionalTokenCount(value: unknown): number | undefined {
  return value === undefined || value === null ? 0 : tokenCount(value);
}

/** JSON.parse reads `100.0` as the integer 100; ccusage's u64 fields reject it, so look at the literal. */
function hasNonIntegerTokenLiteral(line: string): boolean {
  let at = line.indexOf(TOKEN_FIELD_END);
  while (at >= 0) {
    let end = at + TOKEN_FIELD_END.length;
    if (line.charCodeAt(end) === 45 /* - */) end++;
    while (isDigit(line.charCodeAt(end))) end++;
    const next = line.charCodeAt(end);
    if (next === 46 /* . */ || next === 101 /* e */ || next === 69 /* E */) return true;
    at = line.indexOf(TOKEN_FIELD_END, end);
  }
  return false;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
