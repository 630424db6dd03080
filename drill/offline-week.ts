import { freePort } from '@ccsync/testkit';
import { enrollDevices, push, pushUntilDelivered } from './devices.ts';
import type { Drill } from './drill.ts';
import { startDrillStack } from './stack.ts';
import { writeDrillCorpus } from './transcripts.ts';
import { ccusageOracle, settleAndJudge } from './verdict.ts';

const DAYS = 7;
const FIRST_DAY = Date.parse('2026-10-05T00:00:00.000Z');
const DAY_MS = 86_400_000;

/**
 * Truth 2 against a long absence: two devices work through a week, day by day. One is online and
 * pushes each day; the other has no network all week, so each day's push goes to its spool.
 * Then it reconnects and pushes once. Its week lands in the account's past, under blocks the
 * online device already filled, and the blocks must still be ccusage's.
 */
export const offlineWeek: Drill = {
  name: 'offline-week',
  summary:
    'One device spools a week of usage offline while another pushes daily; after reconnecting, totals and 5-hour blocks must equal ccusage.',
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(context) {
    const recordsPerDay = context.quick ? 600 : 3_000;
    const stack = await startDrillStack(context);
    // Nothing listens there: the offline device's requests are refused, as without a network.
    const unreachable = `http://127.0.0.1:${await freePort()}`;

    let records = 0;
    let configDirs: string[] = [];
    let devices: Awaited<ReturnType<typeof enrollDevices>> = [];
    let spooledEntries = 0;
    for (let day = 0; day < DAYS; day++) {
      const corpus = await writeDrillCorpus(context.workDir, {
        seed: 900 + day,
        devices: 2,
        records: recordsPerDay,
        start: new Date(FIRST_DAY + day * DAY_MS).toISOString(),
        days: 1,
      });
      records += corpus.records;
      if (day === 0) {
        configDirs = corpus.configDirs;
        devices = await enrollDevices(stack, configDirs, context.workDir);
      }
      const [offline, online] = devices;
      if (offline === undefined || online === undefined) throw new Error('two devices expected');
      const [away, home] = await Promise.all([
        push(context, offline, unreachable),
        push(context, online, stack.ingest.url),
      ]);
      if (Number(home.waiting) !== 0) throw new Error(`the online device spooled on day ${day + 1}`);
      if (Number(away.spooled) === 0) throw new Error(`the offline device spooled nothing on day ${day + 1}`);
      spooledEntries = Number(away.waiting);
    }
    const [offline] = devices;
    if (offline === undefined) throw new Error('no offline device');
    const oracle = await ccusageOracle(configDirs, context.workDir);

    context.log(`reconnecting after ${spooledEntries} entries spooled`);
    const reconnectedAt = performance.now();
    const runs = await pushUntilDelivered(context, offline, stack.ingest.url);
    const deliveredMs = performance.now() - reconnectedAt;
    const verdict = await settleAndJudge(stack, oracle);
    const recoveredMs = verdict.settledMs === undefined ? undefined : deliveredMs + verdict.settledMs;
    return {
      records,
      faults: `${DAYS} days offline, ${DAYS} pushes spooled`,
      verdict,
      recovery: {
        measures: 'from the reconnecting push until the views equaled ccusage, blocks included',
        samplesMs: recoveredMs === undefined ? [] : [recoveredMs],
      },
      notes: [
        `the offline device had ${spooledEntries} entries in its spool after a week; ${runs} push delivered them; ${oracle.blocks.blocks.filter((block) => !block.isGap).length} blocks over the week`,
      ],
      failures: [],
    };
  },
};
