import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A large Claude Code history for benchmarks: thousands of session files in which, as in real
 * transcripts, most bytes are user prompts and tool results, and a minority of lines carry usage
 * (including streaming partial copies). Deterministic, and cached between runs.
 */
export interface BenchCorpusOptions {
  readonly files: number;
  readonly assistantLinesPerFile: number;
  /** Average bytes of the non-usage lines around each assistant line. */
  readonly paddingBytes: number;
}

export const FULL_CORPUS: BenchCorpusOptions = { files: 2000, assistantLinesPerFile: 24, paddingBytes: 5000 };
export const QUICK_CORPUS: BenchCorpusOptions = { files: 200, assistantLinesPerFile: 24, paddingBytes: 5000 };

const CORPUS_VERSION = 1;
const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-6',
  'claude-haiku-4-5-20251001',
  'claude-sonnet-4-20250514',
];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'the a function returns value file test error build module import export const async await type interface request response token usage cache model session project device stream event'.split(
    ' ',
  );

/** Returns `<root>/claude`, a CLAUDE_CONFIG_DIR holding the corpus, generating it when missing. */
export async function benchCorpus(
  root: string,
  options: BenchCorpusOptions,
): Promise<{ claudeDir: string; bytes: number }> {
  const claudeDir = join(root, 'claude');
  const marker = join(root, 'corpus.json');
  const wanted = JSON.stringify({ version: CORPUS_VERSION, ...options });
  const existing = await readFile(marker, 'utf8').catch(() => undefined);
  if (existing !== undefined && JSON.parse(existing).options === wanted) {
    return { claudeDir, bytes: JSON.parse(existing).bytes };
  }
  await rm(root, { recursive: true, force: true });
  const next = random(42);
  const text = Array.from({ length: 20_000 }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
  const words = (bytes: number) => {
    const start = Math.floor(next() * (text.length - bytes - 1));
    return text.slice(start, start + bytes);
  };
  let bytes = 0;
  for (let file = 0; file < options.files; file++) {
    const project = `-home-dev-project-${file % 40}`;
    const session = `${String(file).padStart(6, '0')}-session`;
    const dir = join(claudeDir, 'projects', project);
    await mkdir(dir, { recursive: true });
    const out = createWriteStream(join(dir, `${session}.jsonl`));
    const write = async (record: unknown) => {
      const line = `${JSON.stringify(record)}\n`;
      bytes += Buffer.byteLength(line);
      if (!out.write(line)) await once(out, 'drain');
    };
    let at = Date.parse('2026-09-01T00:00:00.000Z') + file * 37 * 60_000;
    for (let turn = 0; turn < options.assistantLinesPerFile; turn++) {
      at += Math.floor(next() * 90_000);
      const timestamp = new Date(at).toISOString();
      await write({
        type: 'user',
        timestamp,
        sessionId: session,
        message: { role: 'user', content: words(Math.floor(next() * options.paddingBytes)) },
      });
      await write({
        type: 'user',
        timestamp,
        sessionId: session,
        toolUseResult: { stdout: words(Math.floor(next() * options.paddingBytes)), stderr: '' },
      });
      const id = `msg_${file}_${turn}`;
      const usage = {
        input_tokens: 1 + Math.floor(next() * 5000),
        cache_creation_input_tokens: Math.floor(next() * 20_000),
        cache_read_input_tokens: Math.floor(next() * 200_000),
        output_tokens: 1 + Math.floor(next() * 3000),
      };
      const assistant = (outputTokens: number) => ({
        type: 'assistant',
        timestamp,
        sessionId: session,
        requestId: `req_${file}_${turn}`,
        message: {
          id,
          model: MODELS[turn % MODELS.length],
          role: 'assistant',
          content: [{ type: 'text', text: words(400) }],
          usage: { ...usage, output_tokens: outputTokens },
        },
      });
      // Claude Code writes streaming copies first; the fullest copy is the one that counts.
      if (next() < 0.3) await write(assistant(1));
      await write(assistant(usage.output_tokens));
    }
    out.end();
    await once(out, 'finish');
  }
  await writeFile(marker, JSON.stringify({ options: wanted, bytes }));
  return { claudeDir, bytes };
}
