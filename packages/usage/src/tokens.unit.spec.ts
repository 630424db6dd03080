import { UsageTokens } from '@ccsync/contracts';
import { describe, expect, it } from 'vitest';
import { entryTokens } from './tokens.ts';

describe('entryTokens', () => {
  it('uses cache_creation_input_tokens when the line has no ephemeral split', () => {
    const usage = UsageTokens.parse({
      inputTokens: 10,
      outputTokens: 20,
      cacheCreationInputTokens: 300,
      cacheReadInputTokens: 4000,
    });
    expect(entryTokens(usage)).toEqual({
      inputTokens: 10,
      outputTokens: 20,
      cacheCreationTokens: 300,
      cacheReadTokens: 4000,
      totalTokens: 4330,
    });
  });

  it('uses the 5m + 1h ephemeral split, not cache_creation_input_tokens, when the split is present', () => {
    const usage = UsageTokens.parse({
      inputTokens: 1,
      outputTokens: 2,
      cacheCreationInputTokens: 999,
      cacheReadInputTokens: 0,
      cacheCreation: { ephemeral5mInputTokens: 100, ephemeral1hInputTokens: 50 },
    });
    expect(entryTokens(usage)).toMatchObject({ cacheCreationTokens: 150, totalTokens: 153 });
  });
});
