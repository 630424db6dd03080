import { ActiveBlockReply, CcusageBlock, DeviceListReply } from '@ccsync/contracts';
import { maxTokenLimit, PLAN_LIMITS, type PlanBlock, type PlanName, p90CostLimit, p90TokenLimit } from '@ccsync/usage';
import pc from 'picocolors';
import { z } from 'zod';
import { AgentError, ExitCode } from '../errors.ts';
import { followAccountChanges } from '../monitor/account-changes.ts';
import { type MonitorLimit, type MonitorState, renderFrame } from '../monitor/frame.ts';
import { enterFullScreen } from '../monitor/full-screen.ts';
import { printLine } from '../output.ts';
import { parseTokenLimit } from '../reports/options.ts';
import { type GatewayReader, gatewayReader } from '../server/gateway-reader.ts';
import type { AgentSettings } from '../settings.ts';

export interface MonitorFlags {
  readonly plan: PlanName;
  readonly tokenLimit?: string;
}

/** `GET /api/stats/blocks`: every block of the account, as `ccusage claude blocks --json` prints them. */
const BlocksHistory = z.object({ blocks: z.array(CcusageBlock) });

/** Changes come in bursts (one per device and channel): read once they settle. */
const READ_DEBOUNCE_MS = 150;
const TICK_MS = 1000;

/**
 * `ccsync monitor`: the account's active 5-hour block across every device, full screen, redrawn
 * whenever the gateway announces a change. The API is read once at start and again only after a
 * change on the socket; the one-second timer only moves the clock and countdowns. Off a terminal
 * (a pipe, a file) it prints one frame without any escape sequence and exits.
 */
export async function runMonitor(settings: AgentSettings, flags: MonitorFlags): Promise<void> {
  if (settings.json) {
    throw new AgentError(ExitCode.Usage, 'monitor has no --json: use `ccsync report blocks --active --json`');
  }
  const tokenLimit = parseTokenLimit(flags.tokenLimit);
  const reader = gatewayReader(settings);
  // Every failure here (no gateway, a refused token, an unreachable server) is reported before
  // the screen is taken over.
  const [reply, history, devices] = await Promise.all([
    reader.get('/api/blocks/active', ActiveBlockReply),
    reader.get('/api/stats/blocks', BlocksHistory),
    reader.get('/api/devices', DeviceListReply),
  ]);
  const state: MonitorState = {
    limit: monitorLimit(flags.plan, tokenLimit, history.blocks),
    reply,
    lastBlock: history.blocks.findLast((block) => !block.isGap),
    readAtMs: Date.now(),
    online: new Set(devices.devices.filter((device) => device.online).map((device) => device.device)),
    connection: undefined,
    problem: undefined,
  };
  const locale = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
  const unicode = process.platform === 'win32' || /utf-?8/i.test(locale);
  if (process.stdout.isTTY !== true) {
    const width = Number(process.env.COLUMNS) || 80;
    for (const line of renderFrame(state, { width, nowMs: Date.now(), color: false, unicode })) printLine(line);
    return;
  }
  await followLive(reader, { ...state, connection: { kind: 'connecting' } }, unicode);
}

/** The limit to measure against: --token-limit, else the plan's, else (custom) the P90 of past blocks. */
function monitorLimit(
  plan: PlanName,
  tokenLimit: number | 'max' | undefined,
  blocks: readonly PlanBlock[],
): MonitorLimit {
  const base: MonitorLimit =
    plan === 'custom'
      ? { planName: 'Custom', tokenLimit: p90TokenLimit(blocks), costLimitUSD: p90CostLimit(blocks), source: 'p90' }
      : {
          planName: PLAN_LIMITS[plan].displayName,
          tokenLimit: PLAN_LIMITS[plan].tokenLimit,
          costLimitUSD: PLAN_LIMITS[plan].costLimitUSD,
          source: 'plan',
        };
  if (tokenLimit === undefined) return base;
  if (tokenLimit !== 'max') return { ...base, tokenLimit, source: 'flag' };
  const largest = maxTokenLimit(blocks);
  return largest === undefined ? base : { ...base, tokenLimit: largest, source: 'max' };
}

async function followLive(reader: GatewayReader, initial: MonitorState, unicode: boolean): Promise<void> {
  let state = initial;
  let finish!: (error?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  const color = pc.isColorSupported;
  const screen = enterFullScreen({ onQuit: () => finish(), onResize: () => draw() });
  function draw(): void {
    screen.draw(renderFrame(state, { width: screen.columns, height: screen.rows, nowMs: Date.now(), color, unicode }));
  }

  // One read at a time; changes that arrive meanwhile ask for one more read after it.
  let readTimer: NodeJS.Timeout | undefined;
  let reading = false;
  let readAgain = false;
  /** Subscribed: live once the read that follows has caught up with what happened meanwhile. */
  let subscribed = false;
  const scheduleRead = () => {
    if (reading) readAgain = true;
    else readTimer ??= setTimeout(read, READ_DEBOUNCE_MS);
  };
  async function read(): Promise<void> {
    readTimer = undefined;
    reading = true;
    try {
      const reply = await reader.get('/api/blocks/active', ActiveBlockReply);
      state = { ...state, reply, lastBlock: reply.block ?? state.lastBlock, readAtMs: Date.now(), problem: undefined };
    } catch (error) {
      if (error instanceof AgentError && error.exitCode === ExitCode.AuthRefused) return finish(error);
      state = { ...state, problem: error instanceof Error ? error.message : String(error) };
    } finally {
      reading = false;
      if (subscribed) {
        subscribed = false;
        state = { ...state, connection: { kind: 'live' } };
      }
      if (readAgain) {
        readAgain = false;
        scheduleRead();
      }
    }
    draw();
  }

  // A bug must not leave the terminal in the alternate screen with its message lost there.
  const crash = (error: unknown) => finish(error);
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  let stopFollowing: (() => void) | undefined;
  let tick: NodeJS.Timeout | undefined;
  try {
    stopFollowing = followAccountChanges({
      socketUrl: reader.socketUrl,
      token: reader.token,
      onChange: scheduleRead,
      onPresence: (device, online) => {
        const next = new Set(state.online);
        if (online) next.add(device);
        else next.delete(device);
        state = { ...state, online: next };
        draw();
      },
      onConnection: (connection) => {
        // Changes may have been missed while away: read once more before saying live.
        if (connection.kind === 'live') {
          subscribed = true;
          scheduleRead();
          return;
        }
        subscribed = false;
        state = { ...state, connection };
        draw();
      },
      onRefused: (message) => finish(new AgentError(ExitCode.AuthRefused, message)),
    });
    tick = setInterval(draw, TICK_MS);
    draw();
    await finished;
  } finally {
    clearInterval(tick);
    clearTimeout(readTimer);
    stopFollowing?.();
    screen.close();
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
  }
}
