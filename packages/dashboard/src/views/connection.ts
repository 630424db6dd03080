import type { ConnectionState } from '../live.ts';

const TEXT: Readonly<Record<ConnectionState['kind'], string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Offline',
};

/** The small indicator of the live connection: a dot and a word, announced politely when it changes. */
export class ConnectionIndicator {
  readonly #root: HTMLElement;
  readonly #label: HTMLElement;

  constructor(root: HTMLElement) {
    this.#root = root;
    const label = root.querySelector<HTMLElement>('[data-role=label]');
    if (label === null) throw new Error('the connection indicator has no label');
    this.#label = label;
  }

  show(state: ConnectionState): void {
    this.#root.dataset.state = state.kind;
    this.#label.textContent = TEXT[state.kind];
    this.#root.title =
      state.kind === 'reconnecting'
        ? `The live connection dropped; trying again in ${Math.ceil(state.inMs / 1000)} s`
        : state.kind === 'live'
          ? 'Changes appear as they happen'
          : '';
  }
}
