import { describe, expect, it } from 'vitest';
import { parseTranscripts } from '../transcript/parse-transcript.ts';
import { chooseWinner } from './choose-winner.ts';
import { createUsageDeduper, dedupeEntries } from './usage-deduper.ts';

type LineFields = {
  ts?: string;
  session?: string;
  rid?: string;
  id?: string;
  input: number;
  sidechain?: boolean;
  model?: string;
  speed?: string;
};
const line = ({
  ts = '2026-04-01T10:00:00.000Z',
  session = 's1',
  rid,
  id,
  input,
  sidechain,
  model = 'claude-sonnet-4-20250514',
  speed,
}: LineFields) =>
  JSON.stringify({
    type: 'assistant',
    timestamp: ts,
    sessionId: session,
    requestId: rid,
    isSidechain: sidechain,
    message: { id, model, usage: { input_tokens: input, output_tokens: 0, speed } },
  });
const kept = (transcripts: Record<string, LineFields[]>) =>
  dedupeEntries(
    parseTranscripts(
      Object.fromEntries(Object.entries(transcripts).map(([path, lines]) => [path, lines.map(line).join('\n')])),
    ),
  ).map((entry) => [entry.messageId ?? null, entry.usage.inputTokens, entry.model]);

describe('dedupeEntries', () => {
  // docs/ccusage-parity.md example dedup_basic, where both ccusage reports agree.
  it('merges (message.id, requestId) across sessions and files, keeping the larger copy at the first position', () => {
    expect(
      kept({
        'proj/a.jsonl': [
          { id: 'M1', rid: 'R1', input: 10 },
          { id: 'M2', session: 'sA', input: 20 },
          { rid: 'R3', input: 40 },
        ],
        'proj/b.jsonl': [
          { id: 'M1', rid: 'R1', session: 'other', input: 19 },
          { id: 'M2', session: 'sA', input: 20 },
          { id: 'M2', session: 'sB', input: 20 },
          { rid: 'R3', input: 40 },
        ],
      }),
    ).toEqual([
      ['M1', 19, 'claude-sonnet-4-20250514'],
      ['M2', 20, 'claude-sonnet-4-20250514'],
      [null, 40, 'claude-sonnet-4-20250514'],
      ['M2', 20, 'claude-sonnet-4-20250514'],
      [null, 40, 'claude-sonnet-4-20250514'],
    ]);
  });

  // ccusage's daily keeps these apart (timestamp in its key), its blocks merges them: ccsync merges everywhere.
  it('merges requestId-less copies of one session whatever their timestamps', () => {
    expect(
      kept({
        'proj/s1.jsonl': [{ id: 'N1', ts: '2026-05-01T10:00:00.000Z', input: 1 }],
        'proj/s2.jsonl': [{ id: 'N1', ts: '2026-05-01T11:00:00.000Z', input: 1 }],
      }),
    ).toEqual([['N1', 1, 'claude-sonnet-4-20250514']]);
  });

  // ccusage's blocks pairs a sidechain replay only at the same instant, its daily at any: ccsync at any.
  it('drops a sidechain replay of a message of the same session, whatever its requestId and timestamp', () => {
    expect(
      kept({
        'proj/s1.jsonl': [{ id: 'P1', rid: 'Rp', input: 1 }],
        'proj/s1/subagents/agent-1.jsonl': [
          { id: 'P1', rid: 'Rs', sidechain: true, ts: '2026-04-01T10:30:00.000Z', input: 1000 },
        ],
      }),
    ).toEqual([['P1', 1, 'claude-sonnet-4-20250514']]);
  });

  it('lets the parent replace a sidechain copy seen first, at the sidechain copy position', () => {
    expect(
      kept({
        'proj/a/subagents/agent.jsonl': [{ id: 'N', rid: 'rN2', session: 'sN', sidechain: true, input: 1000 }],
        'proj/b.jsonl': [
          { id: 'X', rid: 'rX', session: 'sN', input: 5 },
          { id: 'N', rid: 'rN1', session: 'sN', input: 1 },
        ],
      }),
    ).toEqual([
      ['N', 1, 'claude-sonnet-4-20250514'],
      ['X', 5, 'claude-sonnet-4-20250514'],
    ]);
  });

  // Verified with ccusage 20.0.24: a sidechain copy in another session is a message of its own.
  it('does not pair a sidechain copy from another session', () => {
    expect(
      kept({
        'proj/s1.jsonl': [{ id: 'U', rid: 'rU1', input: 1 }],
        'proj/s1/subagents/agent-u.jsonl': [{ id: 'U', rid: 'rU2', session: 'other', sidechain: true, input: 1000 }],
      }),
    ).toHaveLength(2);
  });

  // ccusage's daily would take the pricier Opus copy here; its blocks keeps the first. ccsync keeps the first.
  it('keeps the first of two copies with equal totals, whatever they would cost', () => {
    expect(
      kept({
        'proj/s1.jsonl': [{ id: 'T1', rid: 'Rt', input: 5 }],
        'proj/s2.jsonl': [{ id: 'T1', rid: 'Rt', input: 5, model: 'claude-opus-4-20250514' }],
      }),
    ).toEqual([['T1', 5, 'claude-sonnet-4-20250514']]);
  });

  it('on equal totals takes a copy with speed over one without', () => {
    const [winner] = dedupeEntries(
      parseTranscripts({
        'proj/s1.jsonl': [
          line({ id: 'S', rid: 'r', input: 5 }),
          line({ id: 'S', rid: 'r', input: 5, speed: 'standard' }),
        ].join('\n'),
      }),
    );
    expect(winner?.speed).toBe('standard');
  });
});

describe('createUsageDeduper', () => {
  it('reports what each entry did, so a projection can subtract the copy it replaces', () => {
    const [partial, final, replay] = parseTranscripts({
      'proj/s1.jsonl': [
        line({ id: 'M', rid: 'r', input: 3 }),
        line({ id: 'M', rid: 'r', input: 9 }),
        line({ id: 'M', rid: 'r', input: 4 }),
      ].join('\n'),
    });
    const deduper = createUsageDeduper();
    if (!partial || !final || !replay) throw new Error('three entries expected');
    expect(deduper.add(partial)).toEqual({ kind: 'added', position: 0 });
    expect(deduper.add(final)).toEqual({ kind: 'replaced', position: 0, previous: partial });
    expect(deduper.add(replay)).toEqual({ kind: 'ignored', position: 0, winner: final });
    expect(chooseWinner(final, partial)).toBe('kept');
  });
});
