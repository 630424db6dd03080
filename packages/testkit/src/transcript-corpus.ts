import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One transcript file of a device, by its path below `projects/`. */
export interface CorpusFile {
  readonly path: string;
  readonly content: string;
}

/** One device's Claude config directory (`CLAUDE_CONFIG_DIR`): its transcripts. */
export interface CorpusDevice {
  readonly name: string;
  readonly files: readonly CorpusFile[];
}

export interface TranscriptCorpus {
  readonly seed: number;
  readonly devices: readonly CorpusDevice[];
}

export interface TranscriptCorpusOptions {
  readonly seed: number;
  readonly devices?: number;
  readonly sessionsPerDevice?: number;
  /** First day of the history (UTC); sessions spread over the following `days`. */
  readonly start?: string;
  readonly days?: number;
}

/**
 * Models Claude Code writes, plus the odd ones: `<synthetic>`, a `[1m]` suffix that ccusage matches fuzzily,
 * and names ccusage cannot price (`claude-opus-4-9`, `local-llama`).
 */
const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-6',
  'claude-opus-4-6',
  'claude-sonnet-4-20250514',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1-20250805',
  'claude-sonnet-4-5-20250929[1m]',
  'claude-opus-4-7',
  'claude-sonnet-4-6',
  'claude-3-5-haiku-20241022',
  '<synthetic>',
  'claude-opus-4-9',
  'local-llama',
] as const;

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * A deterministic (from the seed) set of Claude Code histories, one per device, written as Claude Code
 * writes them (compact JSON, one line per record) and full of what makes counting hard: streaming partial
 * copies of a message, sessions resumed in a new file that repeat earlier messages, the same message on two
 * devices, sidechain subagent transcripts and same-instant sidechain replays, lines without requestId or
 * message id, `<synthetic>` and unpriced models, messages over 200k tokens, 1-hour cache writes, fast mode,
 * lines carrying `costUSD`, advisor iterations, malformed and half-written lines, and long pauses.
 *
 * It never writes the cases where ccusage 20.0.24's daily and blocks reports disagree with each other
 * (docs/ccusage-parity.md §10): requestId-less copies and sidechain replays always share their timestamp,
 * copies with equal token totals are identical, and there are no `progress` lines.
 */
export function generateTranscriptCorpus(options: TranscriptCorpusOptions): TranscriptCorpus {
  const random = seededRandom(options.seed);
  const deviceCount = options.devices ?? 2;
  const sessionsPerDevice = options.sessionsPerDevice ?? 6;
  const startMs = Date.parse(options.start ?? '2026-02-25T00:00:00.000Z');
  const spanMs = (options.days ?? 20) * 24 * HOUR;
  let counter = 0;
  const unique = (prefix: string) =>
    `${prefix}_${options.seed.toString(36)}${(counter++).toString(36)}${random.word()}`;

  /** Lines already written, so another device can hold an identical copy of one. */
  const shareable: string[] = [];
  const devices: CorpusDevice[] = [];
  for (let d = 0; d < deviceCount; d++) {
    const files = new Map<string, string[]>();
    const write = (path: string, line: string) => {
      const lines = files.get(path) ?? [];
      lines.push(line);
      files.set(path, lines);
    };
    const projects = ['-home-dev-app', '-home-dev-api', '-srv-tools'].slice(0, 1 + random.int(3));
    let previousSession: { id: string; lines: string[] } | undefined;
    for (let s = 0; s < sessionsPerDevice; s++) {
      const project = random.pick(projects);
      const sessionId = unique('sess');
      const file = `${project}/${sessionId}.jsonl`;
      let clock = startMs + random.int(spanMs);
      const sessionLines: string[] = [];
      const emit = (line: string) => {
        write(file, line);
        sessionLines.push(line);
      };

      // A resumed session starts by repeating the previous session's messages (same ids, same request ids).
      if (previousSession !== undefined && random.chance(0.4)) {
        for (const line of previousSession.lines.slice(0, 1 + random.int(4))) write(file, line);
      }
      write(file, userLine(sessionId, iso(clock)));
      if (d > 0 && shareable.length > 0 && random.chance(0.5)) write(file, random.pick(shareable));

      const messages = 8 + random.int(20);
      for (let m = 0; m < messages; m++) {
        clock += pause(random);
        const timestamp = iso(clock);
        const model = random.chance(0.04) ? undefined : random.pick(MODELS);
        const message = {
          id: random.chance(0.04) ? undefined : unique('msg'),
          requestId: random.chance(0.08) ? undefined : unique('req'),
          model,
          usage: usageFor(random, model),
        };
        const base = { sessionId, timestamp, costUSD: random.chance(0.05) ? random.int(5000) / 1000 : undefined };

        // A sidechain replay of this message at the same instant, written before it in the session's own
        // transcript (older Claude Code kept sidechains there): the parent's copy must still win.
        if (message.id !== undefined && random.chance(0.06)) {
          const replay = { ...message, requestId: unique('req'), usage: usageFor(random, model) };
          emit(assistantLine({ ...base, ...replay, isSidechain: true }));
        }

        // Streaming: partial copies first, each with strictly fewer output tokens than the final one.
        const partials = message.id !== undefined && message.requestId !== undefined ? random.int(3) : 0;
        for (let p = 0; p < partials; p++) {
          const outputTokens = Math.floor((message.usage.output_tokens * (p + 1)) / (partials + 2));
          emit(assistantLine({ ...base, ...message, usage: { ...message.usage, output_tokens: outputTokens } }));
        }
        const line = assistantLine({ ...base, ...message });
        emit(line);
        // requestId-less and id-less lines are sometimes written twice at the same instant.
        if ((message.requestId === undefined || message.id === undefined) && random.chance(0.4)) emit(line);
        if (message.id !== undefined && message.requestId !== undefined && random.chance(0.2)) shareable.push(line);

        if (random.chance(0.12)) emit(random.pick(brokenLines(sessionId, timestamp, unique('bad'))));
        if (random.chance(0.15)) emit(userLine(sessionId, timestamp));

        // A subagent: its own transcript of sidechain messages, sometimes replaying the parent's message
        // at the same instant (the parent's copy counts).
        if (random.chance(0.12)) {
          const agentFile = `${project}/${sessionId}/subagents/agent-${unique('a')}.jsonl`;
          if (message.id !== undefined && random.chance(0.5)) {
            const replay = { ...message, requestId: unique('req'), usage: usageFor(random, model) };
            write(agentFile, assistantLine({ ...base, ...replay, isSidechain: true }));
          }
          let agentClock = clock;
          for (let a = 0; a < 1 + random.int(4); a++) {
            agentClock += random.int(90_000);
            const agentModel = random.pick(MODELS);
            write(
              agentFile,
              assistantLine({
                sessionId,
                timestamp: iso(agentClock),
                id: unique('msg'),
                requestId: unique('req'),
                model: agentModel,
                usage: usageFor(random, agentModel),
                isSidechain: true,
              }),
            );
          }
        }
      }
      previousSession = { id: sessionId, lines: sessionLines };
    }

    const corpusFiles = [...files.entries()].map(([path, lines]) => ({ path, content: `${lines.join('\n')}\n` }));
    // A half-written last line: Claude Code was still writing it.
    const last = corpusFiles[corpusFiles.length - 1];
    if (last !== undefined) {
      const partial = assistantLine({
        sessionId: 'sess_partial',
        timestamp: iso(startMs + spanMs),
        id: unique('msg'),
        requestId: unique('req'),
        model: 'claude-opus-4-6',
        usage: { input_tokens: 10, output_tokens: 10 },
      });
      corpusFiles[corpusFiles.length - 1] = { ...last, content: last.content + partial.slice(0, partial.length - 9) };
    }
    devices.push({ name: `device-${String.fromCharCode(97 + d)}`, files: corpusFiles });
  }
  return { seed: options.seed, devices };
}

/** Writes each device as `<root>/<device>/projects/…` and returns the config dirs, in device order. */
export async function writeTranscriptCorpus(corpus: TranscriptCorpus, root: string): Promise<string[]> {
  const configDirs: string[] = [];
  for (const device of corpus.devices) {
    const configDir = join(root, device.name);
    for (const file of device.files) {
      const path = join(configDir, 'projects', file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
    configDirs.push(configDir);
  }
  return configDirs;
}

interface RawUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  speed?: 'standard' | 'fast';
  iterations?: unknown[];
}

interface AssistantRecord {
  readonly sessionId: string;
  readonly timestamp: string;
  readonly id?: string | undefined;
  readonly requestId?: string | undefined;
  readonly model?: string | undefined;
  readonly usage: RawUsage;
  readonly costUSD?: number | undefined;
  readonly isSidechain?: boolean;
}

/** An assistant line with the field order and compact JSON Claude Code writes. */
function assistantLine(record: AssistantRecord): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: record.isSidechain ?? false,
    userType: 'external',
    cwd: '/home/dev/app',
    sessionId: record.sessionId,
    version: '2.0.31',
    gitBranch: 'main',
    message: {
      id: record.id,
      type: 'message',
      role: 'assistant',
      model: record.model,
      content: [{ type: 'text', text: 'Done.' }],
      stop_reason: null,
      usage: record.usage,
    },
    requestId: record.requestId,
    type: 'assistant',
    uuid: `u-${record.id ?? 'none'}-${record.timestamp}`,
    timestamp: record.timestamp,
    costUSD: record.costUSD,
  });
}

function userLine(sessionId: string, timestamp: string): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'user',
    sessionId,
    version: '2.0.31',
    message: { role: 'user', content: 'Please continue.' },
    timestamp,
  });
}

/** Lines ccusage skips: malformed JSON, wrong types, the spaced usage marker, a forbidden null, bad times. */
function brokenLines(sessionId: string, timestamp: string, id: string): string[] {
  const line = (fields: Partial<AssistantRecord>) =>
    assistantLine({
      sessionId,
      timestamp,
      id,
      requestId: id,
      model: 'claude-sonnet-4-5-20250929',
      ...fields,
      usage: fields.usage ?? { input_tokens: 500, output_tokens: 50 },
    });
  return [
    '{"type":"assistant","message":{"usage":{"input_tokens":5',
    'not json at all',
    line({}).replace('"usage":{', '"usage": {'),
    line({}).replace('"cwd":"/home/dev/app"', '"cwd":null'),
    line({}).replace('"input_tokens":500', '"input_tokens":"500"'),
    line({ timestamp: timestamp.replace('Z', '123Z') }),
    line({ timestamp: timestamp.replace('.000Z', '') }),
    line({}).replace('"version":"2.0.31"', '"version":"2.0"'),
    line({}).replace(`"sessionId":"${sessionId}"`, '"sessionId":""'),
  ];
}

/** Token usage shaped like real messages, sometimes above the 200k tier, with 1-hour writes or fast mode. */
function usageFor(random: SeededRandom, model: string | undefined): RawUsage {
  const big = random.chance(0.06);
  const usage: RawUsage = {
    input_tokens: big ? 200_000 + random.int(150_000) : random.int(3000),
    output_tokens: random.int(big ? 250_000 : 4000),
  };
  const cacheWrite = big && random.chance(0.5) ? 200_000 + random.int(100_000) : random.int(20_000);
  const style = random.int(4);
  if (style === 0) {
    usage.cache_creation_input_tokens = cacheWrite;
  } else if (style >= 2) {
    const oneHour = style === 3 ? random.int(cacheWrite + 1) : 0;
    usage.cache_creation_input_tokens = cacheWrite;
    usage.cache_creation = { ephemeral_5m_input_tokens: cacheWrite - oneHour, ephemeral_1h_input_tokens: oneHour };
  }
  usage.cache_read_input_tokens = big && random.chance(0.5) ? 200_000 + random.int(300_000) : random.int(90_000);
  if (random.chance(0.3))
    usage.speed = model?.startsWith('claude-opus-4-6') && random.chance(0.5) ? 'fast' : 'standard';
  if (random.chance(0.05)) {
    usage.iterations = [
      { type: 'message', model: null, input_tokens: usage.input_tokens, output_tokens: usage.output_tokens },
      {
        type: 'advisor_message',
        model: random.pick(['claude-opus-4-6', 'claude-sonnet-4-5-20250929']),
        input_tokens: random.int(5000),
        output_tokens: random.int(800),
        cache_read_input_tokens: random.int(20_000),
      },
    ];
  }
  return usage;
}

/** Mostly seconds to minutes between messages; sometimes hours, crossing a block or leaving a gap. */
function pause(random: SeededRandom): number {
  const roll = random.next();
  if (roll < 0.85) return 2_000 + random.int(4 * MINUTE);
  if (roll < 0.95) return random.int(4 * HOUR);
  return 5 * HOUR + random.int(30 * HOUR);
}

/** Claude Code's timestamps, and sometimes the other spellings ccusage accepts. */
function iso(epochMs: number): string {
  const text = new Date(epochMs).toISOString();
  const variant = epochMs % 11;
  if (variant === 0 && epochMs % 1000 === 0) return text.replace('.000Z', 'Z');
  if (variant === 1) {
    // The same instant with a +09:00 offset.
    return `${new Date(epochMs + 9 * HOUR).toISOString().slice(0, -1)}+09:00`;
  }
  return text;
}

interface SeededRandom {
  next(): number;
  int(maxExclusive: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  word(): string;
}

/** mulberry32: small, fast and the same on every machine. */
function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    word: () => int(36 ** 4).toString(36),
  };
}
