import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { createLogger, generateAdminToken, parseEnv } from '@ccsync/service-kit';
import { ccusageBinary, spawnNatsServer, spawnRedisServer } from '@ccsync/testkit';
import { execa } from 'execa';
import { type BenchCorpusOptions, benchCorpus } from './corpus.ts';
import { atLeast, atMost, type BenchmarkResult, type Figure, measureCommand, medianOf } from './measure.ts';

const BIN = fileURLToPath(new URL('../packages/agent/bin/ccsync.js', import.meta.url));
const CORPUS_ROOT = fileURLToPath(new URL('.corpus/', import.meta.url));

const seconds = (value: number) =>
  `${value < 1 ? (value * 1000).toFixed(0) : value.toFixed(2)} ${value < 1 ? 'ms' : 's'}`;
const mib = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(0)} MiB`);

/**
 * The agent against ccusage 20.0.24 on the same history: a cold local report, and a warm push of
 * ten new lines right after a full one.
 */
export async function agentBenchmarks(corpusOptions: BenchCorpusOptions, runs: number): Promise<BenchmarkResult> {
  const { claudeDir, bytes } = await benchCorpus(join(CORPUS_ROOT, String(corpusOptions.files)), corpusOptions);
  const home = await mkdtemp(join(tmpdir(), 'ccsync-bench-home-'));
  const ccusage = await ccusageBinary();

  const ours = await medianOf(runs, () =>
    measureCommand('node', [BIN, 'report', 'daily', '--local', '--json', '-z', 'UTC', '--claude-dir', claudeDir]),
  );
  const theirs = await medianOf(runs, () =>
    measureCommand(ccusage, ['claude', 'daily', '--json', '--offline', '-z', 'UTC'], {
      CLAUDE_CONFIG_DIR: claudeDir,
      HOME: home,
    }),
  );
  const identical = ours.stdout === theirs.stdout;
  const mbps = (run: { seconds: number }) => `${(bytes / 1e6 / run.seconds).toFixed(0)} MB/s`;
  const coldRatio = ours.seconds / theirs.seconds;
  const figures: Figure[] = [
    {
      metric: `cold \`report daily --local --json\` over ${(bytes / 1e6).toFixed(0)} MB`,
      value: `${seconds(ours.seconds)} (${mbps(ours)})`,
      reference: `ccusage ${seconds(theirs.seconds)} (${mbps(theirs)})`,
      ratio: `${coldRatio.toFixed(2)}× ccusage's time`,
      goal: '≤ 1.5×',
      ...atMost(coldRatio, 1.5),
      note: identical ? 'output byte-identical to ccusage' : 'OUTPUT DIFFERS FROM CCUSAGE',
    },
  ];
  if (ours.peakMiB !== undefined && theirs.peakMiB !== undefined) {
    figures.push({
      metric: 'peak memory of the cold report',
      value: mib(ours.peakMiB),
      reference: `ccusage ${mib(theirs.peakMiB)}`,
      ratio: `${(ours.peakMiB / theirs.peakMiB).toFixed(2)}×`,
      goal: '≤ ccusage',
      ...atMost(ours.peakMiB, theirs.peakMiB),
    });
  }
  figures.push(...(await warmPush(claudeDir, theirs.seconds, runs)));
  await rm(home, { recursive: true, force: true });
  return {
    name: 'Agent scan',
    setup: `${corpusOptions.files} transcripts, ${(bytes / 1e6).toFixed(0)} MB; median of ${runs} runs; ccusage 20.0.24 native binary`,
    figures,
    limits: [
      'ccusage 20.0.24 is a native binary that reads the page cache with two threads at well over 1 GB/s,',
      'several times the 350 MB/s the goals assumed. ccsync finds usage lines with native buffer searches',
      'and decodes nothing else, but each usage line still costs a JSON.parse and the garbage collection of',
      'the parsed record. Worker threads over file ranges were tried and gained nothing: copying the parsed',
      'entries back and the in-order de-duplication ate what the second core saved. A usage-only field',
      'extractor that skips JSON.parse is the next step. Peak memory: Node alone takes about 45 MiB, and the report holds every entry until',
      "de-duplication. Warm push: about half of the work is loading modules (the contracts' zod schemas,",
      'commander); the rest is a stat of every transcript and one round trip to ingest. A 100x speed-up over',
      'a 0.2 s ccusage run is out of reach for any process that starts Node, which alone takes 80 ms here.',
    ].join(' '),
  };
}

/** A push right after a full one, with ten new lines, against a real ingest and JetStream. */
async function warmPush(claudeDir: string, ccusageSeconds: number, runs: number): Promise<Figure[]> {
  const [nats, redis] = await Promise.all([spawnNatsServer(), spawnRedisServer()]);
  const token = generateAdminToken();
  let ingest: Ingest | undefined;
  const stateDir = await mkdtemp(join(tmpdir(), 'ccsync-bench-state-'));
  try {
    const env = parseEnv(IngestEnv, {
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      CCSYNC_ADMIN_TOKEN: token,
      CCSYNC_NAMESPACE: 'bench',
      INGEST_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    ingest = await startIngest(env, createLogger('ingest', env));
    const push = [
      'push',
      '--ingest',
      ingest.url,
      '--token',
      token,
      '--device',
      'bench',
      '--claude-dir',
      claudeDir,
      '--state-dir',
      stateDir,
      '--json',
    ];
    await execa('node', [BIN, ...push], { preferLocal: true });

    const project = join(claudeDir, 'projects', (await readdir(join(claudeDir, 'projects')))[0] ?? '');
    const transcript = join(project, (await readdir(project))[0] ?? '');
    let counter = 0;
    const warm = await medianOf(runs, async () => {
      const lines = Array.from({ length: 10 }, () => {
        counter++;
        return `${JSON.stringify({
          type: 'assistant',
          timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, counter)).toISOString(),
          sessionId: 'bench-warm',
          requestId: `req_warm_${Date.now()}_${counter}`,
          message: {
            id: `msg_warm_${Date.now()}_${counter}`,
            model: 'claude-sonnet-4-5-20250929',
            usage: { input_tokens: 10, output_tokens: 10 },
          },
        })}\n`;
      });
      await appendFile(transcript, lines.join(''));
      return measureCommand('node', [BIN, ...push]);
    });
    const start = await medianOf(runs, () => measureCommand('node', [BIN, '--version']));
    const work = Math.max(warm.seconds - start.seconds, 0);
    const speedup = ccusageSeconds / warm.seconds;
    return [
      {
        metric: 'warm push of 10 new lines: work beyond process start',
        value: seconds(work),
        reference: `process start and module load ${seconds(start.seconds)}`,
        ratio: `total ${seconds(warm.seconds)}`,
        goal: '< 50 ms',
        ...atMost(work, 0.05),
      },
      {
        metric: 'warm push against ccusage re-reading everything',
        value: seconds(warm.seconds),
        reference: `ccusage ${seconds(ccusageSeconds)}`,
        ratio: `${speedup.toFixed(0)}× faster`,
        goal: '≥ 100×',
        ...atLeast(speedup, 100),
      },
    ];
  } finally {
    await ingest?.close();
    await Promise.all([nats.dispose(), redis.dispose()]);
    await rm(stateDir, { recursive: true, force: true });
  }
}
