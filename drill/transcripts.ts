import { join } from 'node:path';
import { generateTranscriptCorpus, type TranscriptCorpus, writeTranscriptCorpus } from '@ccsync/testkit';

/**
 * About how many usage lines the testkit's generator writes per session (streaming copies,
 * replays and subagents included), to size a corpus by records.
 */
const USAGE_LINES_PER_SESSION = 43;

export interface DrillCorpusOptions {
  readonly seed: number;
  readonly devices: number;
  /** Usage lines wanted over all devices; the corpus has about this many. */
  readonly records: number;
  /** First day (UTC) and how many days the sessions spread over. */
  readonly start?: string;
  readonly days?: number;
}

export interface DrillCorpus {
  /** Each device's Claude config directory, `<root>/device-a`, … in device order. */
  readonly configDirs: string[];
  /** Usage lines in the whole corpus: what the agent reads and ccusage considers. */
  readonly records: number;
  /** How many parts `writeSlice` writes the corpus in. */
  readonly slices: number;
  /**
   * Writes part `index`: every `slices`-th transcript of each device. Written one after the
   * other with pushes between them, the parts are a history that grows while the agents run.
   */
  writeSlice(index: number): Promise<void>;
}

/** Lines carrying usage as Claude Code writes them (the marker both ccusage and the agent look for). */
export function usageLines(corpus: TranscriptCorpus): number {
  let count = 0;
  for (const device of corpus.devices) {
    for (const file of device.files)
      count += file.content.split('\n').filter((line) => line.includes('"usage":{')).length;
  }
  return count;
}

/**
 * Generated Claude Code histories, full of what makes counting hard (streaming copies, resumed
 * sessions, the same message on several devices, sidechains, lines ccusage skips), one config
 * directory per device below `root`, to be written in `slices` parts. Writing into a root that
 * already holds a corpus adds sessions beside the earlier ones: that is how a drill lets days pass.
 */
export function planDrillCorpus(root: string, options: DrillCorpusOptions, slices = 1): DrillCorpus {
  const corpus = generateTranscriptCorpus({
    seed: options.seed,
    devices: options.devices,
    sessionsPerDevice: Math.max(1, Math.ceil(options.records / options.devices / USAGE_LINES_PER_SESSION)),
    ...(options.start === undefined ? {} : { start: options.start }),
    ...(options.days === undefined ? {} : { days: options.days }),
  });
  return {
    configDirs: corpus.devices.map((device) => join(root, device.name)),
    records: usageLines(corpus),
    slices,
    async writeSlice(index) {
      const part = corpus.devices.map((device) => ({
        name: device.name,
        files: device.files.filter((_, file) => file % slices === index),
      }));
      await writeTranscriptCorpus({ seed: corpus.seed, devices: part }, root);
    },
  };
}

/** The whole corpus written at once. */
export async function writeDrillCorpus(root: string, options: DrillCorpusOptions): Promise<DrillCorpus> {
  const corpus = planDrillCorpus(root, options);
  await corpus.writeSlice(0);
  return corpus;
}
