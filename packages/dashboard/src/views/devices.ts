import type { DeviceListReply } from '@ccsync/contracts';
import { el, show } from '../dom.ts';
import { formatCount, formatDateTime, formatUSD } from '../format.ts';

type Device = DeviceListReply['devices'][number];

/** Every device of the account: online or not, and its totals. Online ones first, then by tokens. */
export class DevicesView {
  readonly #body: HTMLElement;

  constructor(body: HTMLElement) {
    this.#body = body;
  }

  show({ devices }: DeviceListReply): void {
    if (devices.length === 0) {
      show(this.#body, el('p', { class: 'empty' }, 'No devices yet. Run the agent on a machine to add it.'));
      return;
    }
    const sorted = [...devices].sort(
      (a, b) => Number(b.online) - Number(a.online) || b.totalTokens - a.totalTokens || (a.device < b.device ? -1 : 1),
    );
    show(
      this.#body,
      el(
        'table',
        { class: 'data' },
        el('caption', { class: 'visually-hidden' }, 'Devices'),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', { scope: 'col' }, 'Device'),
            el('th', { scope: 'col' }, 'Status'),
            el('th', { scope: 'col', class: 'num' }, 'Messages'),
            el('th', { scope: 'col', class: 'num' }, 'Tokens'),
            el('th', { scope: 'col', class: 'num' }, 'Cost'),
            el('th', { scope: 'col' }, 'Updated'),
          ),
        ),
        el('tbody', {}, ...sorted.map(row)),
      ),
    );
  }
}

function row(device: Device): HTMLElement {
  const presence = device.online
    ? `Online${device.lastHeartbeatAt === null ? '' : `, heartbeat ${formatDateTime(device.lastHeartbeatAt)}`}`
    : 'Offline';
  return el(
    'tr',
    { 'data-testid': 'device-row', 'data-device': device.device, 'data-online': device.online },
    el('th', { scope: 'row' }, device.device),
    el(
      'td',
      { 'data-testid': 'device-status', title: presence },
      el('span', { class: `presence ${device.online ? 'online' : 'offline'}`, 'aria-hidden': 'true' }),
      device.online ? 'Online' : 'Offline',
    ),
    el('td', { class: 'num', 'data-testid': 'device-entries' }, formatCount(device.entries)),
    el('td', { class: 'num', 'data-testid': 'device-tokens' }, formatCount(device.totalTokens)),
    el('td', { class: 'num', 'data-testid': 'device-cost' }, formatUSD(device.totalCost)),
    el('td', {}, device.updatedAt === null ? '—' : formatDateTime(device.updatedAt)),
  );
}
