import type { UsageTokens } from '@ccsync/contracts';

/** The four token categories ccusage reports, resolved from one line's raw usage. */
export interface EntryTokens {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly totalTokens: number;
}

/**
 * ccusage counts cache creation as the sum of the ephemeral 5-minute and 1-hour writes when the
 * line has `usage.cache_creation`, and as `cache_creation_input_tokens` otherwise.
 */
export function cacheCreationTokens(usage: UsageTokens): number {
  if (usage.cacheCreation === undefined) return usage.cacheCreationInputTokens;
  return usage.cacheCreation.ephemeral5mInputTokens + usage.cacheCreation.ephemeral1hInputTokens;
}

export function entryTokens(usage: UsageTokens): EntryTokens {
  const cacheCreation = cacheCreationTokens(usage);
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheCreationTokens: cacheCreation,
    cacheReadTokens: usage.cacheReadInputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens + cacheCreation + usage.cacheReadInputTokens,
  };
}
