import { createHash } from 'node:crypto';
import type { UsageEntry } from '@ccsync/contracts';

/**
 * A usage entry as the agent would send it, with a deterministic id. Only what a test sets
 * differs from a plain one-token message.
 */
export function usageEntry(seed: string, overrides: Partial<UsageEntry> = {}): UsageEntry {
  return {
    id: createHash('sha256').update(seed).digest('base64url').slice(0, 24),
    timestamp: '2026-11-20T10:00:00.000Z',
    messageId: `msg_${seed}`,
    requestId: `req_${seed}`,
    sessionId: 'session-1',
    isSidechain: false,
    model: 'claude-sonnet-4-5-20250929',
    usage: { inputTokens: 1, outputTokens: 1, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    ...overrides,
  };
}
