import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { UsageEntry } from '@ccsync/contracts';
import { ccusageBinary, expectSameReport, generateTranscriptCorpus, writeTranscriptCorpus } from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CCUSAGE_OFFLINE_PRICING } from '../pricing/index.ts';
import { parseTranscriptLine, projectFromPath, sessionFromPath } from '../transcript/index.ts';
import { blocksReport } from './blocks.ts';
import { formatCcusageJson } from './ccusage-json.ts';
import { dailyReport, entryCells, periodReport } from './periods.ts';
import { sessionReport } from './sessions.ts';

/**
 * ccsync's reports against the real ccusage 20.0.24 on generated multi-device histories: tokens equal, every
 * cost within 1e-6, and in fact the same bytes. The corpora avoid the cases where ccusage's own daily and
 * blocks reports disagree (docs/ccusage-parity.md §10); unit tests pin ccsync's rule for those.
 */
const CORPORA = [
  { seed: 1, devices: 1, sessionsPerDevice: 8 },
  { seed: 7, devices: 2, sessionsPerDevice: 6 },
  { seed: 42, devices: 3, sessionsPerDevice: 5 },
  // Across the end of US daylight saving time (2026-11-01).
  { seed: 20261101, devices: 2, sessionsPerDevice: 6, start: '2026-10-22T00:00:00.000Z', days: 14 },
] as const;

/** With daylight saving (New York, Lord Howe's 30-minute shift) and a half-hour offset (Kolkata). */
const TIMEZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'] as const;

describe.each(CORPORA)('ccusage parity on corpus seed $seed ($devices devices)', (options) => {
  let workDir: string;
  let configDirs: string[];
  let entries: UsageEntry[];
  let binary: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ccsync-parity-'));
    configDirs = await writeTranscriptCorpus(generateTranscriptCorpus(options), join(workDir, 'devices'));
    entries = await readEntriesInCcusageOrder(configDirs);
    binary = await ccusageBinary();
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  const ccusage = async (args: readonly string[]): Promise<{ stdout: string; json: unknown }> => {
    const home = join(workDir, 'home');
    const cwd = join(workDir, 'cwd');
    await Promise.all([mkdir(home, { recursive: true }), mkdir(cwd, { recursive: true })]);
    const { stdout } = await execa(binary, ['claude', ...args, '--json', '--offline'], {
      cwd,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '', HOME: home, TZ: 'UTC', CLAUDE_CONFIG_DIR: configDirs.join(',') },
    });
    return { stdout, json: JSON.parse(stdout) };
  };

  it.each(TIMEZONES)('daily -z %s: same days, tokens and costs', async (timezone) => {
    const oracle = await ccusage(['daily', '-z', timezone]);
    const ours = dailyReport(entries, { timezone, pricing: CCUSAGE_OFFLINE_PRICING });

    expectSameReport(ours, oracle.json);
    expect(formatCcusageJson(ours)).toBe(oracle.stdout.trimEnd());
    // The corpus is meant to exercise unpriced models and several days; a corpus without them proves less.
    expect(ours.totals.unpricedModels?.length).toBeGreaterThan(0);
    expect(ours.daily.length).toBeGreaterThan(3);
  });

  it('daily --since/--until: the same rows and totals', async () => {
    const oracle = await ccusage(['daily', '-z', 'Asia/Kolkata', '--since', '20260301', '--until', '20261025']);
    const ours = dailyReport(entries, {
      timezone: 'Asia/Kolkata',
      since: '20260301',
      until: '20261025',
      pricing: CCUSAGE_OFFLINE_PRICING,
    });

    expectSameReport(ours, oracle.json);
  });

  it.each([
    { period: 'weekly', args: ['-z', 'America/New_York'], options: { timezone: 'America/New_York' } },
    {
      period: 'weekly',
      args: ['-z', 'Asia/Kolkata', '-w', 'monday', '--order', 'desc'],
      options: { timezone: 'Asia/Kolkata', startOfWeek: 'monday', order: 'desc' },
    },
    { period: 'monthly', args: ['-z', 'UTC'], options: { timezone: 'UTC' } },
    {
      period: 'monthly',
      args: ['-z', 'Australia/Lord_Howe', '--since', '20260301'],
      options: { timezone: 'Australia/Lord_Howe', since: '20260301' },
    },
  ] as const)('$period $args: same periods, models, tokens and costs', async ({ period, args, options }) => {
    const oracle = await ccusage([period, ...args]);
    const ours = periodReport(entryCells(entries, CCUSAGE_OFFLINE_PRICING), period, options);

    expectSameReport(ours, oracle.json);
    expect(formatCcusageJson(ours)).toBe(oracle.stdout.trimEnd());
  });

  it('session: same sessions, models, tokens and costs', async () => {
    const oracle = await ccusage(['session']);
    // Entry files here are `<device>/<path below projects>`.
    const pathOf = (entry: UsageEntry) => entry.file?.slice(entry.file.indexOf('/') + 1);
    const ours = sessionReport(entries, { pricing: CCUSAGE_OFFLINE_PRICING, pathOf });

    expectSameReport(ours, oracle.json);
    expect(formatCcusageJson(ours)).toBe(oracle.stdout.trimEnd());
  });

  it('blocks: same windows, gaps, tokens and costs', async () => {
    const oracle = await ccusage(['blocks']);
    // ccusage decides activity by its wall clock; the corpus lies in the past, so no block is active.
    const ours = blocksReport(entries, { now: Date.now(), pricing: CCUSAGE_OFFLINE_PRICING });

    expectSameReport(ours, oracle.json);
    expect(formatCcusageJson(ours)).toBe(oracle.stdout.trimEnd());
    expect(ours.blocks.some((block) => block.isGap)).toBe(true);
    expect(ours.blocks.some((block) => block.isActive)).toBe(false);
  });
});

/** What ccusage reads: regular `*.jsonl` files under each `<dir>/projects/`, all sorted by full path. */
async function readEntriesInCcusageOrder(configDirs: readonly string[]): Promise<UsageEntry[]> {
  const files: { full: string; belowProjects: string; device: string }[] = [];
  for (const dir of configDirs) {
    const projects = join(dir, 'projects');
    for (const full of await transcriptFiles(projects)) {
      files.push({ full, belowProjects: relative(projects, full), device: basename(dir) });
    }
  }
  files.sort((a, b) => Buffer.compare(Buffer.from(a.full), Buffer.from(b.full)));

  const entries: UsageEntry[] = [];
  for (const { full, belowProjects, device } of files) {
    const context = {
      // Entry ids derive from file and offset: keep two devices' equal relative paths apart.
      file: `${device}/${belowProjects}`,
      projectPath: projectFromPath(belowProjects),
      fallbackSessionId: sessionFromPath(belowProjects),
    };
    const bytes = await readFile(full);
    let offset = 0;
    while (offset < bytes.length) {
      const newline = bytes.indexOf(10, offset);
      const end = newline < 0 ? bytes.length : newline;
      const line = bytes.toString('utf8', offset, end);
      entries.push(...parseTranscriptLine(line, { ...context, offset }));
      offset = end + 1;
    }
  }
  return entries;
}

async function transcriptFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // ccusage ignores symlinked files and directories.
    const stats = await lstat(path);
    if (stats.isDirectory()) found.push(...(await transcriptFiles(path)));
    else if (stats.isFile() && entry.name.endsWith('.jsonl')) found.push(path);
  }
  return found;
}
