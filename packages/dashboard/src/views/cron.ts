import type { CronRun } from '@ccsync/contracts';
import { el, show } from '../dom.ts';
import { formatDateTime, formatElapsed } from '../format.ts';

/** What the cron section can show: the latest runs, or why there are none to show. */
export type CronRuns =
  | { readonly ok: true; readonly jobs: number; readonly runs: readonly CronRun[] }
  | { readonly ok: false; readonly reason: 'needs_admin' | 'no_scheduler' };

const STATUS_TEXT: Readonly<Record<CronRun['status'], string>> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  timed_out: 'Timed out',
  lost: 'Lost',
  skipped: 'Skipped',
};

/** The latest runs of the account's scheduled jobs, newest first. */
export class CronView {
  readonly #body: HTMLElement;

  constructor(body: HTMLElement) {
    this.#body = body;
  }

  show(runs: CronRuns): void {
    if (!runs.ok) {
      const note =
        runs.reason === 'needs_admin'
          ? 'Scheduled jobs need an admin token: sign in with one to see their runs.'
          : 'The scheduler is not running, so there are no jobs to show.';
      show(this.#body, el('p', { class: 'note', 'data-testid': 'cron-note', 'data-reason': runs.reason }, note));
      return;
    }
    if (runs.runs.length === 0) {
      const text = runs.jobs === 0 ? 'No scheduled jobs.' : 'No runs yet.';
      show(this.#body, el('p', { class: 'empty', 'data-testid': 'cron-note' }, text));
      return;
    }
    show(
      this.#body,
      el(
        'table',
        { class: 'data' },
        el('caption', { class: 'visually-hidden' }, 'Recent cron runs'),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', { scope: 'col' }, 'Job'),
            el('th', { scope: 'col' }, 'Status'),
            el('th', { scope: 'col' }, 'Started'),
            el('th', { scope: 'col', class: 'num' }, 'Duration'),
            el('th', { scope: 'col' }, 'Trigger'),
            el('th', { scope: 'col' }, 'Details'),
          ),
        ),
        el('tbody', {}, ...runs.runs.map(row)),
      ),
    );
  }
}

function row(run: CronRun): HTMLElement {
  const details = run.error ?? (run.exitCode === null ? '' : `exit ${run.exitCode}`);
  return el(
    'tr',
    { 'data-testid': 'cron-run', 'data-run': run.runId },
    el('th', { scope: 'row' }, el('code', {}, run.job)),
    el('td', {}, el('span', { class: `badge ${run.status}` }, STATUS_TEXT[run.status])),
    el('td', {}, formatDateTime(run.startedAt)),
    el('td', { class: 'num' }, formatElapsed(run.durationMs)),
    el('td', {}, run.trigger === 'manual' ? 'Manual' : 'Schedule'),
    el('td', { class: 'details', title: details }, details),
  );
}
