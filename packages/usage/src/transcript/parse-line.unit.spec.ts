import { UsageEntry } from '@ccsync/contracts';
import { describe, expect, it } from 'vitest';
import { parseTranscriptLine } from './parse-line.ts';
import { parseTranscript } from './parse-transcript.ts';
import { projectFromPath, sessionFromPath } from './transcript-path.ts';

const context = { file: 'proj/s1.jsonl', offset: 0, projectPath: 'proj', fallbackSessionId: 's1' };
const counted = (line: string) => parseTranscriptLine(line, context).length;
const assistant = (
  fields: string,
  usage = '{"input_tokens":1,"output_tokens":2}',
  message = '"id":"m1","model":"claude-sonnet-4-20250514"',
) =>
  `{"type":"assistant","timestamp":"2026-02-01T10:00:00.000Z","sessionId":"s1","requestId":"r1"${fields},"message":{${message},"usage":${usage}}}`;

describe('parseTranscriptLine', () => {
  // docs/ccusage-parity.md example `lines`: ccusage 20.0.24 counted exactly a1, a2 and a3.
  it('counts only the lines ccusage counts', () => {
    const transcript = [
      '{"type":"assistant","timestamp":"2026-02-01T10:00:00.000Z","sessionId":"s1","requestId":"r1","message":{"id":"a1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":100,"output_tokens":50}}}',
      '{"type":"assistant","timestamp":"2026-02-01T10:01:00.000Z","sessionId":"s1","requestId":"r2","message":{"id":"a2","usage":{"input_tokens":7,"output_tokens":0}}}',
      '{"type":"assistant","timestamp":"2026-02-01T10:02:00.000Z","sessionId":"s1","requestId":"r3","message":{"id":"a3","model":"<synthetic>","usage":{"input_tokens":0,"output_tokens":0}}}',
      '{"type":"assistant","timestamp":"2026-02-01T10:03:00.000Z","sessionId":"s1","requestId":"r4","message":{"id":"a4","model":"claude-sonnet-4-20250514","usage":{"input_tokens":"3","output_tokens":0}}}',
      '{"type":"assistant","timestamp":"2026-02-01T10:04:00.000Z","sessionId":"s1","requestId":"r5","message":{"id":"a5","model":"claude-sonnet-4-20250514","usage": {"input_tokens":5,"output_tokens":0}}}',
      '{"type":"assistant","timestamp":"2026-02-01T10:05:00.123456Z","sessionId":"s1","requestId":"r6","message":{"id":"a6","model":"claude-sonnet-4-20250514","usage":{"input_tokens":11,"output_tokens":0}}}',
      '{"type":"assistant","cwd":null,"timestamp":"2026-02-01T10:06:00.000Z","sessionId":"s1","requestId":"r7","message":{"id":"a7","model":"claude-sonnet-4-20250514","usage":{"input_tokens":13,"output_tokens":0}}}',
      '{"type":"assistant","timestamp":"2026-02-01T10:07:00.000Z","sessionId":"s1","requestId":"r8","message":{"id":"a8","model":"claude-sonnet-4-20250514","usage":{"input_tokens":17,"output_tokens"',
    ].join('\n');
    const entries = parseTranscript('proj/s1.jsonl', transcript);
    expect(entries.map((entry) => [entry.messageId, entry.model, entry.usage.inputTokens])).toEqual([
      ['a1', 'claude-sonnet-4-20250514', 100],
      ['a2', undefined, 7],
      ['a3', '<synthetic>', 0],
    ]);
    expect(entries[1]).toMatchObject({
      offset: transcript.indexOf('\n') + 1,
      file: 'proj/s1.jsonl',
      projectPath: 'proj',
    });
  });

  it('builds a contract-valid entry with a deterministic id from file and offset', () => {
    const [entry] = parseTranscriptLine(assistant(',"isSidechain":true,"costUSD":0.5'), { ...context, offset: 42 });
    expect(UsageEntry.parse(entry)).toEqual(entry);
    expect(entry).toMatchObject({
      timestamp: '2026-02-01T10:00:00.000Z',
      messageId: 'm1',
      requestId: 'r1',
      sessionId: 's1',
      isSidechain: true,
      costUSD: 0.5,
      usage: { inputTokens: 1, outputTokens: 2, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    });
    expect(parseTranscriptLine(assistant(''), { ...context, offset: 42 })[0]?.id).toBe(entry?.id);
    expect(parseTranscriptLine(assistant(''), { ...context, offset: 43 })[0]?.id).not.toBe(entry?.id);
  });

  it('skips a line with one of the listed keys set to null anywhere, but not other nulls', () => {
    expect(counted(assistant(',"toolUseResult":{"id":null}'))).toBe(0);
    expect(counted(assistant(',"toolUseResult":{"model":null}'))).toBe(0);
    expect(counted(assistant(',"parentUuid":null,"isSidechain":null'))).toBe(1);
    // The one tolerated "model":null: inside usage.iterations.
    expect(
      counted(assistant('', '{"input_tokens":1,"output_tokens":2,"iterations":[{"type":"message","model":null}]}')),
    ).toBe(1);
  });

  it.each([
    ['2026-02-01T10:00:00Z', '2026-02-01T10:00:00.000Z'],
    ['2026-02-01T10:00:00.123Z', '2026-02-01T10:00:00.123Z'],
    ['2026-02-01T19:00:00.000+09:00', '2026-02-01T10:00:00.000Z'],
    ['2026-02-01T05:00:00-05:00', '2026-02-01T10:00:00.000Z'],
  ])('accepts the timestamp %s as %s', (timestamp, instant) => {
    const line = assistant('').replace('2026-02-01T10:00:00.000Z', timestamp);
    expect(parseTranscriptLine(line, context)[0]?.timestamp).toBe(instant);
  });

  it.each([
    '2026-02-01T10:00:00.1Z',
    '2026-02-01T10:00:00.123456Z',
    '2026-02-01T10:00:00',
    '2026-02-01T10:00:00+0900',
    '2026-02-01T10:00:00+09',
    '2026-02-01t10:00:00Z',
    '2026-02-01T10:00:00z',
    '2026-02-01T24:00:00Z',
    '2026-02-01T10:00:60Z',
    '2026-02-30T10:00:00Z',
  ])('rejects the timestamp %s', (timestamp) => {
    expect(counted(assistant('').replace('2026-02-01T10:00:00.000Z', timestamp))).toBe(0);
  });

  it('requires integer input and output tokens and typed optional fields', () => {
    expect(counted(assistant('', '{"input_tokens":1.5,"output_tokens":2}'))).toBe(0);
    expect(counted(assistant('', '{"input_tokens":100.0,"output_tokens":2}'))).toBe(0);
    expect(counted(assistant('', '{"input_tokens":-1,"output_tokens":2}'))).toBe(0);
    expect(counted(assistant('', '{"output_tokens":2}'))).toBe(0);
    expect(counted(assistant(',"costUSD":"0.5"'))).toBe(0);
    expect(counted(assistant(',"isSidechain":"true"'))).toBe(0);
    expect(counted(assistant(',"isApiErrorMessage":"yes"'))).toBe(0);
    expect(counted(assistant('', '{"input_tokens":1,"output_tokens":2,"speed":"turbo"}'))).toBe(0);
    expect(counted(assistant(',"version":"1.0"'))).toBe(0);
    expect(counted(assistant(',"version":"2.1.3-beta+x"'))).toBe(1);
    expect(counted(assistant('', undefined, '"id":"","model":"claude-sonnet-4-20250514"'))).toBe(0);
  });

  it('takes `type` as irrelevant and `speed` only from message.usage', () => {
    const [entry] = parseTranscriptLine(assistant('').replace('"type":"assistant"', '"type":"user"'), context);
    expect(entry?.speed).toBeUndefined();
    const [fast] = parseTranscriptLine(assistant('', '{"input_tokens":1,"output_tokens":2,"speed":"fast"}'), context);
    expect(fast?.speed).toBe('fast');
  });

  it('keeps the ephemeral split when usage.cache_creation is present, even empty', () => {
    const [split] = parseTranscriptLine(
      assistant('', '{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":1000,"cache_creation":{}}'),
      context,
    );
    expect(split?.usage.cacheCreation).toEqual({ ephemeral5mInputTokens: 0, ephemeral1hInputTokens: 0 });
    expect(
      counted(
        assistant('', '{"input_tokens":0,"output_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":null}}'),
      ),
    ).toBe(0);
  });

  it('adds one entry per advisor iteration, keyed <id>:advisor:<k> and priced from its own tokens', () => {
    const usage =
      '{"input_tokens":100,"output_tokens":50,"iterations":[{"type":"message","model":null,"input_tokens":100,"output_tokens":50},{"type":"advisor_message","model":"claude-opus-4-6","input_tokens":1000,"output_tokens":200,"cache_read_input_tokens":5000}]}';
    const entries = parseTranscriptLine(assistant(',"costUSD":1', usage), context);
    expect(entries.map((entry) => [entry.messageId, entry.model, entry.usage.inputTokens, entry.costUSD])).toEqual([
      ['m1', 'claude-sonnet-4-20250514', 100, 1],
      ['m1:advisor:0', 'claude-opus-4-6', 1000, undefined],
    ]);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(2);
  });

  it('ignores agent progress lines: only message.usage counts, in every report', () => {
    const progress =
      '{"type":"progress","sessionId":"s1","data":{"message":{"timestamp":"2026-02-01T10:00:00.000Z","requestId":"r9","message":{"id":"p1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":5,"output_tokens":1}}}}}';
    expect(counted(progress)).toBe(0);
  });

  it('falls back to the path-derived session when the line has none', () => {
    const line = assistant('').replace('"sessionId":"s1",', '');
    expect(parseTranscriptLine(line, { ...context, fallbackSessionId: 'from-path' })[0]?.sessionId).toBe('from-path');
  });
});

describe('sessionFromPath and projectFromPath', () => {
  it.each([
    ['proj/abc.jsonl', 'abc', 'proj'],
    ['proj/abc/subagents/agent-1.jsonl', 'abc', 'proj'],
    ['proj/deeper/x.jsonl', 'deeper', 'proj'],
    ['top.jsonl', 'projects', 'top.jsonl'],
  ])('%s is session %s of project %s', (path, session, project) => {
    expect(sessionFromPath(path)).toBe(session);
    expect(projectFromPath(path)).toBe(project);
  });
});
