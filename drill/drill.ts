import type { Verdict } from './verdict.ts';

/** What every drill is handed: its size, a scratch directory, and where to register cleanups. */
export interface DrillContext {
  /** The CI size: fewer records, faults and clients. */
  readonly quick: boolean;
  /** A temporary directory of the drill's own, removed when it ends. */
  readonly workDir: string;
  /** Aborted when the drill runs out of time or the runner is interrupted: stop starting things. */
  readonly signal: AbortSignal;
  /** Runs when the drill ends, however it ends; the last registered runs first. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** What to print if the drill fails, e.g. the services' last log lines. */
  diagnose(describe: () => string): void;
  /** A progress line on stderr. */
  log(message: string): void;
}

/** How long the system took to get back to a correct state after each fault. */
export interface Recovery {
  /** What is measured, from what to what. */
  readonly measures: string;
  readonly samplesMs: readonly number[];
}

export interface DrillOutcome {
  /** Usage lines in the transcripts the devices pushed. */
  readonly records: number;
  /** The faults injected, for people (`3 × SIGKILL projector`). */
  readonly faults: string;
  readonly verdict: Verdict;
  readonly recovery: Recovery;
  /** Further measurements and checks, one sentence each. */
  readonly notes: readonly string[];
  /** Checks of the drill's own beyond the totals (clients that did not recover, spool left over). */
  readonly failures: readonly string[];
}

export interface Drill {
  readonly name: string;
  /** One sentence: what is done to the stack, and what must hold. */
  readonly summary: string;
  /** After this the drill fails, and everything it started is stopped. */
  timeoutMs(quick: boolean): number;
  run(context: DrillContext): Promise<DrillOutcome>;
}
