import type { SingleBar } from 'cli-progress';

/** Progress of a long read. On a terminal it draws a bar; elsewhere it stays silent. */
export interface Progress {
  start(totalBytes: number, files: number): void;
  advance(bytes: number): void;
  count(entries: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, advance() {}, count() {}, stop() {} };

/** Below this much to read, a bar would only flicker. */
const MIN_BYTES_FOR_BAR = 16 * 1024 * 1024;

/**
 * A bar on stderr (records, MB/s, ETA) for the first backfill of a large history. The bar's module
 * is loaded only on a terminal, so scripted and hook-triggered pushes never pay for it.
 */
export async function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Promise<Progress> {
  if (!stream.isTTY) return silentProgress;
  const { SingleBar } = await import('cli-progress');
  let bar: SingleBar | undefined;
  let entries = 0;
  let bytes = 0;
  let startedAt = 0;
  const payload = () => {
    const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
    return { entries: entries.toLocaleString('en-US'), rate: (bytes / 1e6 / seconds).toFixed(1) };
  };
  return {
    start(totalBytes, files) {
      if (totalBytes < MIN_BYTES_FOR_BAR) return;
      startedAt = Date.now();
      bar = new SingleBar({
        stream,
        format: `Reading ${files} transcripts |{bar}| {percentage}% · {entries} records · {rate} MB/s · ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      });
      bar.start(totalBytes, 0, payload());
    },
    advance(read) {
      bytes += read;
      bar?.update(bytes, payload());
    },
    count(read) {
      entries += read;
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
