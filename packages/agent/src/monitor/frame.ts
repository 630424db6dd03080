import type { ActiveBlockReply, CcusageBlock } from '@ccsync/contracts';
import { BLOCK_MS, type BlockLimitStatus, blockLimitStatus, type LimitLevel } from '@ccsync/usage';
import { createColors } from 'picocolors';
import { formatCount, formatUsd } from '../output.ts';

/** The limit the block is measured against, and where it came from. */
export interface MonitorLimit {
  /** `Pro`, `Max5`, `Max20` or `Custom`. */
  readonly planName: string;
  /** Input + output tokens per block. */
  readonly tokenLimit: number;
  readonly costLimitUSD: number;
  /** `plan`: the plan's table; `p90`: learned from past blocks; `flag`: --token-limit; `max`: the largest past block. */
  readonly source: 'plan' | 'p90' | 'flag' | 'max';
}

export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly atMs: number; readonly reason: string };

/** Everything a frame shows, as last read; the clock and countdowns come from `nowMs` at drawing. */
export interface MonitorState {
  readonly limit: MonitorLimit;
  readonly reply: ActiveBlockReply;
  /** The account's latest block, active or not, for when none is active. */
  readonly lastBlock: CcusageBlock | undefined;
  readonly readAtMs: number;
  readonly online: ReadonlySet<string>;
  /** Undefined for a single frame (not a terminal): no socket, no key to quit. */
  readonly connection: ConnectionState | undefined;
  /** Why the last read failed, while the numbers shown are older. */
  readonly problem: string | undefined;
}

export interface FrameOptions {
  readonly width: number;
  /** Rows available; unlimited when undefined. */
  readonly height?: number;
  readonly nowMs: number;
  /** SGR colors; false under NO_COLOR and off a terminal. */
  readonly color: boolean;
  /** Block characters for the bars; ASCII where the locale is not UTF-8. */
  readonly unicode: boolean;
}

type Style = 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan';
interface Segment {
  readonly text: string;
  readonly style?: Style;
}
/** Segments that stay on one line; a row's pieces wrap between pieces on narrow terminals. */
type Piece = readonly Segment[];

const MINUTE_MS = 60_000;
const LEVEL_STYLE: Record<LimitLevel, Style> = { ok: 'green', warning: 'yellow', critical: 'red' };
const SOURCE_NOTE: Record<MonitorLimit['source'], string | undefined> = {
  plan: undefined,
  p90: 'P90 of past blocks',
  flag: 'from --token-limit',
  max: 'largest past block',
};

/**
 * One screen of the monitor as lines, none wider than `width`. Pure: the same state, time and size
 * always draw the same frame, so the terminal can redraw it every second and on every resize.
 */
export function renderFrame(state: MonitorState, options: FrameOptions): string[] {
  const width = Math.max(options.width, 20);
  const layout = new Layout(width, options);
  const { limit, reply } = state;
  const { nowMs } = options;
  const block = reply.block !== null && isActiveAt(reply.block, nowMs) ? reply.block : undefined;

  layout.pieces('', [
    [{ text: 'ccsync monitor', style: 'bold' }],
    [{ text: `account ${reply.account}` }],
    [{ text: `${limit.planName} plan` }],
  ]);
  layout.blank();

  if (block === undefined) {
    drawNoActiveBlock(layout, state, nowMs);
  } else {
    drawActiveBlock(layout, state, block, nowMs);
  }
  drawFooter(layout, state, nowMs);
  return layout.lines(options.height);
}

/** Where a learned or given limit came from, as a piece of its own. */
function sourceNote(limit: MonitorLimit): Piece[] {
  const note = SOURCE_NOTE[limit.source];
  return note === undefined ? [] : [[{ text: `(${note})`, style: 'dim' }]];
}

/** ccusage's rule, applied at drawing time so the screen notices a block's end without a read. */
function isActiveAt(block: CcusageBlock, nowMs: number): boolean {
  const lastMs = Date.parse(block.actualEndTime ?? block.startTime);
  return nowMs - lastMs < BLOCK_MS && nowMs < Date.parse(block.endTime);
}

function drawActiveBlock(layout: Layout, state: MonitorState, block: CcusageBlock, nowMs: number): void {
  const { limit, reply } = state;
  const startMs = Date.parse(block.startTime);
  const endMs = Date.parse(block.endTime);
  const status = blockLimitStatus(block, limit.tokenLimit);
  const levelStyle = LEVEL_STYLE[status.level];

  layout.pieces('Block', [
    [{ text: `${clock(startMs)} - ${clock(endMs)}` }],
    [{ text: `started ${duration(nowMs - startMs)} ago`, style: 'dim' }],
  ]);
  layout.pieces('Tokens', [
    [{ text: formatCount(block.totalTokens), style: 'bold' }],
    [{ text: `${formatCount(block.entries)} ${block.entries === 1 ? 'message' : 'messages'}`, style: 'dim' }],
  ]);
  const costPercent = limit.costLimitUSD > 0 ? (block.costUSD / limit.costLimitUSD) * 100 : 0;
  layout.pieces('Cost', [
    [{ text: formatUsd(block.costUSD), style: 'bold' }],
    [{ text: `${costPercent.toFixed(1)}% of ${formatUsd(limit.costLimitUSD)}`, style: 'dim' }],
  ]);
  const percent = `${status.percentUsed.toFixed(1)}%`;
  layout.pieces('Limit', [
    layout.bar(status.percentUsed / 100, percent.length + 1, levelStyle, [{ text: percent, style: levelStyle }]),
    [{ text: `${formatCount(status.used)} / ${formatCount(status.limit)}` }],
    [{ text: 'input+output tokens', style: 'dim' }],
    ...sourceNote(limit),
  ]);
  const elapsed = Math.min(Math.max(nowMs - startMs, 0), BLOCK_MS);
  const elapsedPercent = `${((elapsed / BLOCK_MS) * 100).toFixed(1)}%`;
  layout.pieces('Time', [
    layout.bar(elapsed / BLOCK_MS, elapsedPercent.length + 1, 'cyan', [{ text: elapsedPercent }]),
    [{ text: `${duration(elapsed)} of 5h` }],
  ]);
  layout.pieces('Reset', [
    [{ text: `in ${duration(endMs - nowMs, true)}`, style: 'bold' }],
    [{ text: `at ${clock(endMs)}` }],
  ]);
  layout.pieces('Burn rate', [
    [{ text: `${formatCount(Math.round(reply.burn.tokensPerMinute))} tokens/min` }],
    [{ text: `${formatUsd(reply.burn.costPerHour)}/h` }],
    [{ text: `last ${reply.burn.windowMinutes} min`, style: 'dim' }],
  ]);
  if (block.burnRate !== null) {
    layout.pieces(
      'Block rate',
      [
        [{ text: `${formatCount(Math.round(block.burnRate.tokensPerMinute))} tokens/min` }],
        [{ text: `${formatUsd(block.burnRate.costPerHour)}/h` }],
        [{ text: 'whole block', style: 'dim' }],
      ],
      'extra',
    );
  }
  if (block.projection !== null) {
    layout.pieces('Projected', [
      [{ text: `${formatCount(block.projection.totalTokens)} tokens` }],
      [{ text: formatUsd(block.projection.totalCost) }],
      [{ text: 'at reset', style: 'dim' }],
    ]);
  }
  drawWarnings(layout, state, status);
  drawDevices(layout, state, block);
}

function drawWarnings(layout: Layout, state: MonitorState, status: BlockLimitStatus): void {
  const { limit, readAtMs } = state;
  const warnings: { text: string; style: Style }[] = [];
  const name = `${limit.planName} limit`;
  if (status.used > status.limit) {
    warnings.push({
      text: `! Over the ${name}: ${formatCount(status.used)} of ${formatCount(status.limit)} tokens`,
      style: 'red',
    });
  } else if (status.level !== 'ok') {
    warnings.push({
      text: `! ${status.percentUsed.toFixed(1)}% of the ${name} used`,
      style: LEVEL_STYLE[status.level],
    });
  }
  if (status.exceedsBeforeReset && status.projectedUsed !== null) {
    const reached =
      status.minutesToLimit !== null && status.minutesToLimit > 0
        ? ` (limit at ${clock(readAtMs + status.minutesToLimit * MINUTE_MS)})`
        : '';
    warnings.push({
      text: `! Projection exceeds the ${name} before reset: ${formatCount(status.projectedUsed)} of ${formatCount(status.limit)} tokens${reached}`,
      style: status.level === 'critical' ? 'red' : 'yellow',
    });
  }
  if (warnings.length === 0) return;
  layout.blank();
  for (const warning of warnings) layout.wrapped(warning.text, warning.style);
}

function drawDevices(layout: Layout, state: MonitorState, block: CcusageBlock): void {
  const { reply, online } = state;
  if (reply.devices.length === 0) return;
  layout.blank();
  const rows = reply.devices.map((share) => ({
    device: share.device,
    online: online.has(share.device),
    tokens: formatCount(share.totalTokens),
    cost: formatUsd(share.costUSD),
    share: `${(block.totalTokens === 0 ? 0 : (share.totalTokens / block.totalTokens) * 100).toFixed(1)}%`,
  }));
  const tokensWidth = Math.max('Tokens'.length, ...rows.map((row) => row.tokens.length));
  const costWidth = Math.max('Cost'.length, ...rows.map((row) => row.cost.length));
  const shareWidth = Math.max('Share'.length, ...rows.map((row) => row.share.length));
  const numbers = (tokens: string, cost: string, share: string) =>
    `${tokens.padStart(tokensWidth)}  ${cost.padStart(costWidth)}  ${share.padStart(shareWidth)}`;
  const numbersWidth = tokensWidth + costWidth + shareWidth + 4;
  const longest = Math.max('Device'.length, ...rows.map((row) => row.device.length + 2));
  const room = layout.width - numbersWidth - 2;
  const deviceWidth = Math.min(longest, room);
  const marker = (isOnline: boolean): Segment => ({
    text: isOnline ? `${layout.unicode ? '●' : '*'} ` : '  ',
    style: 'green',
  });
  // Too narrow for a useful name column: each device takes two lines, its name above its numbers.
  const stacked = room < 10;
  if (stacked) {
    layout.line([{ text: 'Device', style: 'bold' }]);
    layout.line([{ text: `  ${numbers('Tokens', 'Cost', 'Share')}`, style: 'bold' }]);
  } else {
    layout.line([{ text: `${'Device'.padEnd(deviceWidth)}  ${numbers('Tokens', 'Cost', 'Share')}`, style: 'bold' }]);
  }
  rows.forEach((row, index) => {
    if (stacked) {
      layout.deviceRow(index, [marker(row.online), { text: layout.truncate(row.device, layout.width - 2) }]);
      layout.deviceRow(index, [{ text: `  ${numbers(row.tokens, row.cost, row.share)}` }]);
    } else {
      const name = layout.truncate(row.device, deviceWidth - 2).padEnd(deviceWidth - 2);
      layout.deviceRow(index, [
        marker(row.online),
        { text: name },
        { text: `  ${numbers(row.tokens, row.cost, row.share)}` },
      ]);
    }
  });
}

function drawNoActiveBlock(layout: Layout, state: MonitorState, nowMs: number): void {
  const { limit, lastBlock } = state;
  layout.wrapped('No active 5-hour block: no usage on any device in the last 5 hours.', 'bold');
  layout.blank();
  const last = lastBlock ?? state.reply.block ?? undefined;
  if (last === undefined) {
    layout.pieces('Last block', [[{ text: 'none yet' }]]);
  } else {
    const endMs = Date.parse(last.endTime);
    layout.pieces('Last block', [
      [{ text: `${date(Date.parse(last.startTime))} - ${clock(endMs)}` }],
      [{ text: `ended ${duration(nowMs - endMs)} ago`, style: 'dim' }],
    ]);
    layout.pieces('Used', [[{ text: `${formatCount(last.totalTokens)} tokens` }], [{ text: formatUsd(last.costUSD) }]]);
  }
  layout.pieces('Limit', [
    [{ text: `${formatCount(limit.tokenLimit)} input+output tokens` }],
    [{ text: formatUsd(limit.costLimitUSD) }],
    ...sourceNote(limit),
  ]);
  layout.wrapped('A new block starts with the next message from any device.', 'dim', 'extra');
}

function drawFooter(layout: Layout, state: MonitorState, nowMs: number): void {
  const pieces: Piece[] = [];
  const { connection } = state;
  if (connection !== undefined) pieces.push([{ text: 'q quit', style: 'bold' }]);
  if (connection?.kind === 'live') pieces.push([{ text: 'live', style: 'green' }]);
  if (connection?.kind === 'connecting') pieces.push([{ text: 'connecting', style: 'yellow' }]);
  if (connection?.kind === 'reconnecting') {
    const seconds = Math.max(Math.ceil((connection.atMs - nowMs) / 1000), 0);
    pieces.push([{ text: `reconnecting in ${seconds}s (${connection.reason})`, style: 'red' }]);
  }
  pieces.push([{ text: `read ${clock(state.readAtMs, true)}`, style: 'dim' }]);
  if (state.online.size > 0 && state.reply.devices.some((share) => state.online.has(share.device)))
    pieces.push([{ text: `${layout.unicode ? '●' : '*'} online`, style: 'dim' }]);
  if (state.problem !== undefined) pieces.push([{ text: state.problem, style: 'red' }]);
  layout.footer(pieces);
}

const pad2 = (value: number) => String(value).padStart(2, '0');

/** The local clock, 24-hour. */
export function clock(ms: number, seconds = false): string {
  const at = new Date(ms);
  const time = `${pad2(at.getHours())}:${pad2(at.getMinutes())}`;
  return seconds ? `${time}:${pad2(at.getSeconds())}` : time;
}

function date(ms: number): string {
  const at = new Date(ms);
  return `${at.getFullYear()}-${pad2(at.getMonth() + 1)}-${pad2(at.getDate())} ${clock(ms)}`;
}

/** `3h 05m`, `12m 30s`, `45s`; with `seconds`, hours show their seconds too (a countdown). */
function duration(ms: number, seconds = false): string {
  const total = Math.max(Math.floor(ms / 1000), 0);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (hours > 0) return seconds ? `${hours}h ${pad2(minutes)}m ${pad2(secs)}s` : `${hours}h ${pad2(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad2(secs)}s`;
  return `${secs}s`;
}

/**
 * What a row is to the height limit: spacers go first, then device rows (summed up in one line),
 * then extras; the rest stays.
 */
type RowKind = 'keep' | 'spacer' | 'device' | 'extra';
interface Row {
  readonly segments: readonly Segment[];
  readonly kind: RowKind;
  /** Which device a device row belongs to (a device may take two rows on a narrow terminal). */
  readonly device?: number;
}

/**
 * Lines of segments laid out to a width: labelled rows whose pieces wrap under the label when they
 * do not fit (on a very narrow terminal the label takes a line of its own), sentences wrapped at
 * spaces, and the footer, which stays whatever the height.
 */
class Layout {
  readonly width: number;
  readonly unicode: boolean;
  /** Columns before a row's value; 0 puts labels on lines of their own. */
  private readonly labelWidth: number;
  private readonly paint: ReturnType<typeof createColors>;
  private readonly rows: Row[] = [];
  private readonly tail: Row[] = [];

  constructor(width: number, options: FrameOptions) {
    this.width = width;
    this.unicode = options.unicode;
    this.labelWidth = width >= 60 ? 12 : width >= 40 ? 11 : 0;
    this.paint = createColors(options.color);
  }

  /** The value column's width. */
  get valueWidth(): number {
    return this.width - (this.labelWidth === 0 ? 2 : this.labelWidth);
  }

  blank(): void {
    this.rows.push({ segments: [], kind: 'spacer' });
  }

  /** A labelled row: its pieces side by side, wrapping under the label where the width ends. */
  pieces(label: string, pieces: readonly Piece[], kind: RowKind = 'keep'): void {
    let indent = 0;
    let line: Segment[] = [];
    if (label !== '' && this.labelWidth === 0) {
      this.rows.push({ segments: [{ text: label, style: 'dim' }], kind });
      indent = 2;
      line = [{ text: '  ' }];
    } else if (label !== '') {
      indent = this.labelWidth;
      line = [{ text: label.padEnd(indent), style: 'dim' }];
    }
    const available = this.width - indent;
    let used = 0;
    for (const piece of pieces) {
      const pieceWidth = widthOf(piece);
      if (used > 0 && used + 2 + pieceWidth > available) {
        this.rows.push({ segments: line, kind });
        line = indent === 0 ? [] : [{ text: ' '.repeat(indent) }];
        used = 0;
      }
      if (used > 0) line.push({ text: '  ' });
      line.push(...piece);
      used += (used > 0 ? 2 : 0) + pieceWidth;
    }
    this.rows.push({ segments: line, kind });
  }

  /** A bar as wide as the value column allows, leaving `reserve` columns for what follows it. */
  bar(fraction: number, reserve: number, style: Style, after: readonly Segment[]): Piece {
    const inner = Math.max(Math.min(this.valueWidth - reserve - 3, 40), 8);
    const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * inner);
    const [full, empty] = this.unicode ? ['█', '░'] : ['#', '-'];
    return [
      { text: '[' },
      { text: full.repeat(filled), style },
      { text: empty.repeat(inner - filled), style: 'dim' },
      { text: '] ' },
      ...after,
    ];
  }

  /** A sentence, wrapped at spaces to the width. */
  wrapped(text: string, style: Style, kind: RowKind = 'keep'): void {
    let line = '';
    for (const word of text.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > this.width) {
        this.rows.push({ segments: [{ text: line, style }], kind });
        line = '';
      }
      line = line === '' ? word : `${line} ${word}`;
    }
    if (line !== '') this.rows.push({ segments: [{ text: line, style }], kind });
  }

  line(segments: readonly Segment[]): void {
    this.rows.push({ segments, kind: 'keep' });
  }

  deviceRow(device: number, segments: readonly Segment[]): void {
    this.rows.push({ segments, kind: 'device', device });
  }

  /** The last lines, after a spacer. */
  footer(pieces: readonly Piece[]): void {
    this.blank();
    const before = this.rows.length;
    this.pieces('', pieces);
    this.tail.push(...this.rows.splice(before));
  }

  truncate(text: string, width: number): string {
    if (text.length <= width) return text;
    return width <= 0 ? '' : `${text.slice(0, width - 1)}${this.unicode ? '…' : '~'}`;
  }

  /** The frame's lines, fitted to `height` by dropping rows in the order of their kinds. */
  lines(height: number | undefined): string[] {
    let rows = this.rows;
    if (height !== undefined) rows = this.fitHeight(height);
    return [...rows, ...this.tail].slice(0, height).map((row) => this.draw(row.segments));
  }

  private fitHeight(height: number): Row[] {
    let rows = [...this.rows];
    const excess = () => rows.length + this.tail.length - height;
    for (let index = rows.length - 1; index >= 0 && excess() > 0; index--) {
      if (rows[index]?.kind === 'spacer') rows.splice(index, 1);
    }
    const devices = new Set(rows.flatMap((row) => (row.device === undefined ? [] : [row.device])));
    if (excess() > 0 && devices.size > 0) {
      const at = rows.findIndex((row) => row.kind === 'device');
      let kept = rows.filter((row) => row.kind === 'device');
      const others = rows.filter((row) => row.kind !== 'device');
      let shown = devices.size;
      // Drop whole devices from the end until they and the line that counts them fit.
      while (shown > 0 && others.length + kept.length + 1 + this.tail.length > height) {
        shown--;
        kept = kept.filter((row) => (row.device ?? 0) < shown);
      }
      const hidden = devices.size - shown;
      const summary: Row = {
        segments: [{ text: `... and ${hidden} more device${hidden === 1 ? '' : 's'}`, style: 'dim' }],
        kind: 'keep',
      };
      rows = [...others.slice(0, at), ...kept, summary, ...others.slice(at)];
    }
    for (let index = rows.length - 1; index >= 0 && excess() > 0; index--) {
      if (rows[index]?.kind === 'extra') rows.splice(index, 1);
    }
    return rows.slice(0, Math.max(height - this.tail.length, 0));
  }

  /** Segments cut to the width, then painted. */
  private draw(row: readonly Segment[]): string {
    let room = this.width;
    let out = '';
    const over = widthOf(row) > this.width;
    for (const segment of row) {
      if (room <= 0) break;
      let text = segment.text;
      if (over && text.length >= room) text = this.truncate(text, room);
      room -= text.length;
      out += segment.style === undefined || text.trim() === '' ? text : this.paint[segment.style](text);
    }
    return out.trimEnd();
  }
}

function widthOf(segments: readonly Segment[]): number {
  return segments.reduce((sum, segment) => sum + segment.text.length, 0);
}
