import type { ActiveBlockReply } from '@ccsync/contracts';
import { Api, ApiError } from './api.ts';
import { el, required, show } from './dom.ts';
import { LiveConnection } from './live.ts';
import { RESOURCES, Refresher, type Resource, STALE_AFTER } from './refresh.ts';
import { BlockView } from './views/block.ts';
import { ConnectionIndicator } from './views/connection.ts';
import { type CronRuns, CronView } from './views/cron.ts';
import { DAYS_SHOWN, type DailyUsage, DailyView } from './views/daily.ts';
import { DevicesView } from './views/devices.ts';

/** How many cron runs the page lists, over all jobs. */
const RUNS_SHOWN = 15;

/** Where each resource is shown: its section's body, replaced by each load, and its error line. */
const SECTIONS: Readonly<Record<Resource, string>> = {
  block: 'block-section',
  devices: 'devices-section',
  daily: 'daily-section',
  cron: 'cron-section',
};

/**
 * The signed-in page: loads every section over REST, then keeps it current from the live
 * connection, reloading a section whenever a change makes it stale. It never polls.
 */
export class Dashboard {
  readonly #api: Api;
  readonly #signOut: (message?: string) => void;
  readonly #live: LiveConnection;
  readonly #refresher: Refresher;
  readonly #block: BlockView;
  readonly #daily: DailyView;
  readonly #devices: DevicesView;
  readonly #cron: CronView;
  readonly #connection: ConnectionIndicator;
  readonly #signOutButton = required<HTMLButtonElement>('sign-out');
  readonly #clickedSignOut = () => this.#signOut();
  /** The token's scope, as the socket tells it: only admins may list jobs, so others are not sent to be refused. */
  #scope: string | undefined;
  #stopped = false;

  constructor(token: string, signOut: (message?: string) => void) {
    this.#api = new Api(token);
    this.#signOut = signOut;
    this.#block = new BlockView(body('block'), required('block-window'), () => void this.#refresher.now('block'));
    this.#daily = new DailyView(required('daily-section'));
    this.#devices = new DevicesView(body('devices'));
    this.#cron = new CronView(body('cron'));
    this.#connection = new ConnectionIndicator(required('connection'));
    this.#refresher = new Refresher((resource) => this.#load(resource));
    this.#live = new LiveConnection(token, {
      state: (state) => this.#connection.show(state),
      authenticated: (account, scope) => {
        this.#scope = scope;
        show(required('account'), account, el('span', { class: 'scope' }, scope));
      },
      changed: (channel) => this.#refresher.soon(STALE_AFTER[channel]),
      reload: () => this.#refresher.soon(RESOURCES),
      refused: () => this.#signOut('The server refused this token on the live connection. Sign in again.'),
    });
  }

  /** Shows the page; `block` is the reply the sign-in was checked with, when there is one. */
  start(block?: ActiveBlockReply): void {
    required('session').hidden = false;
    required('dashboard').hidden = false;
    this.#signOutButton.addEventListener('click', this.#clickedSignOut);
    if (block !== undefined) {
      this.#block.show(block);
      settled('block');
    }
    // The rest now; cron runs once the socket has said whether the token may list jobs. The socket
    // reloads everything once subscribed too, so nothing that changes in between is missed.
    if (block === undefined) void this.#refresher.now('block');
    void this.#refresher.now('devices');
    void this.#refresher.now('daily');
    this.#live.start();
  }

  /** Stops everything and clears what was shown, so the next account's page starts empty. */
  stop(): void {
    this.#stopped = true;
    this.#live.stop();
    this.#refresher.stop();
    this.#block.destroy();
    this.#daily.destroy();
    this.#signOutButton.removeEventListener('click', this.#clickedSignOut);
    required('session').hidden = true;
    required('dashboard').hidden = true;
    show(required('account'));
    show(required('block-window'));
    for (const resource of RESOURCES) {
      const section = required(SECTIONS[resource]);
      section.setAttribute('aria-busy', 'true');
      for (const part of section.querySelectorAll(
        '[data-role=body], [data-role=table], [data-role=plot], [data-role=total]',
      ))
        show(part);
      showError(resource, undefined);
    }
  }

  async #load(resource: Resource): Promise<void> {
    try {
      const render = await this.#read(resource);
      // Signed out while the reply was on its way: it belongs to a page that is gone.
      if (this.#stopped) return;
      render();
      settled(resource);
      showError(resource, undefined);
    } catch (error) {
      if (this.#stopped) return;
      if (error instanceof ApiError && error.status === 401) {
        this.#signOut('The server no longer accepts this token. Sign in again.');
        return;
      }
      showError(resource, `Could not load this: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Reads one resource, and returns how to show it. */
  async #read(resource: Resource): Promise<() => void> {
    switch (resource) {
      case 'block': {
        const block = await this.#api.activeBlock();
        return () => this.#block.show(block);
      }
      case 'devices': {
        const devices = await this.#api.devices();
        return () => this.#devices.show(devices);
      }
      case 'daily': {
        const daily = await this.#dailyUsage();
        return () => this.#daily.show(daily);
      }
      case 'cron': {
        const runs = await this.#cronRuns();
        return () => this.#cron.show(runs);
      }
    }
  }

  /** Both reports over the same days in the browser's timezone: the device report fixes the first day. */
  async #dailyUsage(): Promise<DailyUsage> {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const byDevice = await this.#api.dailyByDevice(DAYS_SHOWN, tz);
    const since = (byDevice.days[0]?.date ?? '').replaceAll('-', '');
    const byModel = since === '' ? { daily: [], totals: byDevice.totals } : await this.#api.dailyByModel(since, tz);
    return { byDevice, byModel };
  }

  async #cronRuns(): Promise<CronRuns> {
    if (this.#scope !== 'admin') return { ok: false, reason: 'needs_admin' };
    let jobs: string[];
    try {
      jobs = (await this.#api.cronJobs()).jobs.map((job) => job.name);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 403) return { ok: false, reason: 'needs_admin' };
      if (error.status === 503) return { ok: false, reason: 'no_scheduler' };
      throw error;
    }
    const replies = await Promise.all(jobs.map((job) => this.#api.cronRuns(job, RUNS_SHOWN)));
    const runs = replies
      .flatMap((reply) => reply.runs)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.seq - a.seq)
      .slice(0, RUNS_SHOWN);
    return { ok: true, jobs: jobs.length, runs };
  }
}

function body(resource: Resource): HTMLElement {
  const element = required(SECTIONS[resource]).querySelector<HTMLElement>('[data-role=body]');
  if (element === null) throw new Error(`index.html has no body in #${SECTIONS[resource]}`);
  return element;
}

function settled(resource: Resource): void {
  required(SECTIONS[resource]).setAttribute('aria-busy', 'false');
}

/** A section's error line: the reason its numbers could not be brought up to date, or none. */
function showError(resource: Resource, message: string | undefined): void {
  const line = required(SECTIONS[resource]).querySelector<HTMLElement>('[data-role=error]');
  if (line === null) return;
  line.textContent = message ?? '';
  line.hidden = message === undefined;
}
