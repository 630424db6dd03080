import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccusageBinary, generateTranscriptCorpus, writeTranscriptCorpus } from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The acceptance interface: `ccsync report daily --local --json` prints exactly what
 * `ccusage claude daily --json --offline` prints for the same transcript directories.
 */
const BIN = fileURLToPath(new URL('../../bin/ccsync.js', import.meta.url));
let workDir: string;
let ccusage: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ccsync-report-'));
  ccusage = await ccusageBinary();
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe.each([
  { seed: 3, devices: 1, sessionsPerDevice: 10 },
  { seed: 11, devices: 3, sessionsPerDevice: 5 },
])('ccsync report daily --local on corpus seed $seed ($devices config dirs)', (corpus) => {
  let dirs: string;
  beforeAll(async () => {
    const configDirs = await writeTranscriptCorpus(
      generateTranscriptCorpus(corpus),
      join(workDir, `seed-${corpus.seed}`),
    );
    dirs = configDirs.join(',');
  });

  it.each(['UTC', 'America/New_York', 'Asia/Kolkata'])(
    'prints ccusage’s JSON byte for byte in %s',
    async (timezone) => {
      const home = join(workDir, 'home');
      await mkdir(home, { recursive: true });
      const theirs = await execa(ccusage, ['claude', 'daily', '--json', '--offline', '-z', timezone], {
        cwd: home,
        extendEnv: false,
        env: { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_CONFIG_DIR: dirs },
      });
      const ours = await execa(
        'node',
        [BIN, 'report', 'daily', '--local', '--json', '-z', timezone, '--claude-dir', dirs],
        {
          preferLocal: true,
        },
      );
      expect(ours.exitCode).toBe(0);
      expect(JSON.parse(ours.stdout).daily.length).toBeGreaterThan(0);
      expect(ours.stdout).toBe(theirs.stdout);
    },
  );
});

describe.each([{ seed: 4, devices: 2, sessionsPerDevice: 6 }])(
  'ccsync report blocks --local on corpus seed $seed ($devices config dirs)',
  (corpus) => {
    let dirs: string;
    beforeAll(async () => {
      const configDirs = await writeTranscriptCorpus(
        generateTranscriptCorpus(corpus),
        join(workDir, `blocks-${corpus.seed}`),
      );
      dirs = configDirs.join(',');
    });

    it.each([[[]], [['--token-limit', '500000']], [['--token-limit', 'max']]])(
      'prints ccusage’s JSON byte for byte with %j',
      async (extra: string[]) => {
        const home = join(workDir, 'home');
        await mkdir(home, { recursive: true });
        const theirs = await execa(ccusage, ['claude', 'blocks', '--json', '--offline', ...extra], {
          cwd: home,
          extendEnv: false,
          env: { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_CONFIG_DIR: dirs, TZ: 'UTC' },
        });
        const ours = await execa(
          'node',
          [BIN, 'report', 'blocks', '--local', '--json', '--claude-dir', dirs, ...extra],
          {
            preferLocal: true,
            env: { TZ: 'UTC' },
          },
        );
        expect(JSON.parse(ours.stdout).blocks.length).toBeGreaterThan(1);
        expect(ours.stdout).toBe(theirs.stdout);
      },
    );
  },
);

describe('report errors', () => {
  it('refuses an unknown timezone with a usage error', async () => {
    const result = await execa(
      'node',
      [BIN, 'report', 'daily', '--local', '-z', 'Mars/Olympus', '--claude-dir', workDir],
      {
        preferLocal: true,
        reject: false,
      },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown timezone "Mars/Olympus"');
  });
});
