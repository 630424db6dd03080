import type { ActiveBlockReply, CcusageBlock } from '@ccsync/contracts';
import { el, show } from '../dom.ts';
import { formatClock, formatCount, formatDuration, formatUSD } from '../format.ts';

/** The elapsed time and the time to the reset move on between changes; redrawn this often. */
const CLOCK_MS = 30_000;

/**
 * The active 5-hour block: tokens, cost, burn rate, projection, the time elapsed, the reset and
 * each device's share. `onStale` is called when time alone makes the shown reply out of date:
 * the block ends, or the burn window has passed since the last change.
 */
export class BlockView {
  readonly #body: HTMLElement;
  readonly #window: HTMLElement;
  readonly #onStale: () => void;
  #clock: ReturnType<typeof setInterval> | undefined;
  #stale: ReturnType<typeof setTimeout> | undefined;

  constructor(body: HTMLElement, window: HTMLElement, onStale: () => void) {
    this.#body = body;
    this.#window = window;
    this.#onStale = onStale;
  }

  show(reply: ActiveBlockReply): void {
    this.#stopTimers();
    const { block } = reply;
    if (block === null) {
      show(this.#window);
      show(
        this.#body,
        el(
          'p',
          { class: 'empty', 'data-testid': 'block-empty' },
          'No active block. The next message from any device starts one.',
        ),
      );
      return;
    }
    show(this.#window, `${formatClock(block.startTime)} – ${formatClock(block.endTime)}`);
    const elapsed = el('div', { class: 'elapsed' });
    const drawElapsed = () => show(elapsed, ...elapsedParts(block, Date.now()));
    drawElapsed();
    this.#clock = setInterval(drawElapsed, CLOCK_MS);

    const untilEnd = Date.parse(block.endTime) - Date.now();
    const untilBurnFades =
      reply.burn.tokensPerMinute > 0 ? reply.burn.windowMinutes * 60_000 : Number.POSITIVE_INFINITY;
    const staleIn = Math.min(untilEnd, untilBurnFades);
    if (Number.isFinite(staleIn)) this.#stale = setTimeout(this.#onStale, Math.max(staleIn, 0) + 1000);

    show(this.#body, stats(reply, block), elapsed, models(block), shares(reply, block));
  }

  destroy(): void {
    this.#stopTimers();
  }

  #stopTimers(): void {
    clearInterval(this.#clock);
    clearTimeout(this.#stale);
  }
}

function stat(label: string, ...value: (Node | string)[]): HTMLElement {
  return el('div', { class: 'stat' }, el('dt', {}, label), el('dd', {}, ...value));
}

function stats({ burn }: ActiveBlockReply, block: CcusageBlock): HTMLElement {
  const { projection } = block;
  return el(
    'dl',
    { class: 'stats' },
    stat('Tokens', el('span', { class: 'big', 'data-testid': 'block-tokens' }, formatCount(block.totalTokens))),
    stat('Cost', el('span', { class: 'big', 'data-testid': 'block-cost' }, formatUSD(block.costUSD))),
    stat(
      `Burn rate, last ${burn.windowMinutes} min`,
      el('span', { class: 'big', 'data-testid': 'burn-tokens' }, formatCount(burn.tokensPerMinute)),
      el('span', { class: 'unit' }, ' tokens/min'),
      el('br'),
      el('span', { 'data-testid': 'burn-cost' }, formatUSD(burn.costPerHour)),
      el('span', { class: 'unit' }, '/h'),
    ),
    projection === null
      ? stat('Projected by reset', el('span', { class: 'big muted', 'data-testid': 'projected-tokens' }, '—'))
      : stat(
          'Projected by reset',
          el('span', { class: 'big', 'data-testid': 'projected-tokens' }, formatCount(projection.totalTokens)),
          el('span', { class: 'unit' }, ' tokens'),
          el('br'),
          el('span', { 'data-testid': 'projected-cost' }, formatUSD(projection.totalCost)),
        ),
  );
}

function elapsedParts(block: CcusageBlock, now: number): Node[] {
  const start = Date.parse(block.startTime);
  const end = Date.parse(block.endTime);
  const elapsedMs = Math.min(Math.max(now - start, 0), end - start);
  const percent = Math.round((elapsedMs / (end - start)) * 100);
  return [
    el(
      'div',
      { class: 'elapsed-labels' },
      el('span', {}, `${formatDuration(elapsedMs)} elapsed (${percent}%)`),
      el(
        'span',
        { 'data-testid': 'block-reset', 'data-end': block.endTime },
        `Resets at ${formatClock(block.endTime)}, in ${formatDuration(end - now)}`,
      ),
    ),
    el('progress', {
      max: end - start,
      value: elapsedMs,
      'aria-label': 'Time elapsed in the block',
      'aria-valuetext': `${formatDuration(elapsedMs)} of ${formatDuration(end - start)} (${percent}%)`,
      'data-testid': 'block-elapsed',
    }),
  ];
}

function models(block: CcusageBlock): HTMLElement {
  return el(
    'p',
    { class: 'models' },
    el('span', { class: 'muted' }, 'Models: '),
    ...block.models.flatMap((model, index) => [index > 0 ? ', ' : '', el('code', {}, model)]),
  );
}

function shares({ devices }: ActiveBlockReply, block: CcusageBlock): HTMLElement {
  const rows = devices.map((share) => {
    const percent = block.totalTokens > 0 ? (share.totalTokens / block.totalTokens) * 100 : 0;
    const fill = el('span', { class: 'share-fill' });
    fill.style.width = `${percent}%`;
    return el(
      'tr',
      { 'data-testid': 'block-device', 'data-device': share.device },
      el('th', { scope: 'row' }, share.device),
      el(
        'td',
        { class: 'share' },
        el('span', { class: 'share-bar', 'aria-hidden': 'true' }, fill),
        el('span', { class: 'share-percent' }, `${percent.toFixed(0)}%`),
      ),
      el('td', { class: 'num', 'data-testid': 'block-device-tokens' }, formatCount(share.totalTokens)),
      el('td', { class: 'num', 'data-testid': 'block-device-cost' }, formatUSD(share.costUSD)),
      el('td', { class: 'num' }, formatCount(share.entries)),
    );
  });
  return el(
    'table',
    { class: 'data shares' },
    el('caption', {}, 'Each device’s share of the block'),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Device'),
        el('th', { scope: 'col' }, 'Share of tokens'),
        el('th', { scope: 'col', class: 'num' }, 'Tokens'),
        el('th', { scope: 'col', class: 'num' }, 'Cost'),
        el('th', { scope: 'col', class: 'num' }, 'Messages'),
      ),
    ),
    el('tbody', {}, ...rows),
  );
}
