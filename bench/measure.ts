import { execa } from 'execa';

export interface RunMeasurement {
  readonly seconds: number;
  /** Peak resident memory in MiB, from GNU time; undefined where it is not installed. */
  readonly peakMiB: number | undefined;
  readonly stdout: string;
}

/**
 * Runs a command and measures its wall time and peak memory. GNU time (`apt-get install time`)
 * reports the child's maximum resident set; without it only the time is known.
 */
export async function measureCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunMeasurement> {
  const gnuTime = (await execa('/usr/bin/time', ['--version'], { reject: false })).exitCode === 0;
  const started = process.hrtime.bigint();
  const result = gnuTime
    ? await execa('/usr/bin/time', ['-f', '%M', command, ...args], { env, preferLocal: true, maxBuffer: 1e9 })
    : await execa(command, args, { env, preferLocal: true, maxBuffer: 1e9 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakKiB = gnuTime ? Number(result.stderr.trim().split('\n').at(-1)) : Number.NaN;
  return { seconds, peakMiB: Number.isFinite(peakKiB) ? peakKiB / 1024 : undefined, stdout: result.stdout };
}

/** The median of several runs, so one noisy run does not decide a figure. */
export async function medianOf(runs: number, measure: () => Promise<RunMeasurement>): Promise<RunMeasurement> {
  const results: RunMeasurement[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure());
  results.sort((a, b) => a.seconds - b.seconds);
  return results[Math.floor(results.length / 2)] as RunMeasurement;
}

/** One reported figure: ours, the reference measured in the same run, their ratio, and the goal. */
export interface Figure {
  readonly metric: string;
  readonly value: string;
  readonly reference: string;
  readonly ratio: string;
  readonly goal: string;
  readonly met: boolean;
  /** Where the goal is missed: by how much, e.g. "2.7× the goal". */
  readonly missedBy?: string;
  readonly note?: string;
}

const times = (ratio: number) => `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;

/** A figure whose goal is an upper bound (a time, memory): met, or missed by how many times. */
export function atMost(value: number, goal: number): Pick<Figure, 'met' | 'missedBy'> {
  return value <= goal ? { met: true } : { met: false, missedBy: `${times(value / goal)} the goal` };
}

/** A figure whose goal is a lower bound (a rate, a speed-up): met, or the share of it reached. */
export function atLeast(value: number, goal: number): Pick<Figure, 'met' | 'missedBy'> {
  return value >= goal ? { met: true } : { met: false, missedBy: `${((100 * value) / goal).toFixed(0)}% of the goal` };
}

export interface BenchmarkResult {
  readonly name: string;
  readonly setup: string;
  readonly figures: readonly Figure[];
  /** Where a goal is missed: by how much is in the table; what limits it is said here. */
  readonly limits?: string;
}
