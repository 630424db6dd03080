import { writeSync } from 'node:fs';

const ESC = '\x1b[';
/** The alternate screen buffer with the cursor hidden, cleared. */
const ENTER = `${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`;
/** Cursor shown again, back to the normal screen as it was. */
const LEAVE = `${ESC}?25h${ESC}?1049l`;
const QUIT_KEYS = new Set(['q', 'Q', '\x03', '\x04']);

export interface FullScreen {
  readonly columns: number;
  readonly rows: number;
  /** Replaces the screen's content with these lines, each already no wider than `columns`. */
  draw(lines: readonly string[]): void;
  /** Gives the terminal back as it was; safe to call more than once. */
  close(): void;
}

export interface FullScreenOptions {
  /** q, Ctrl-C or Ctrl-D was pressed, or SIGINT, SIGTERM or SIGHUP arrived. */
  readonly onQuit: () => void;
  /** The terminal changed size (SIGWINCH). */
  readonly onResize: () => void;
}

/**
 * Takes over the terminal: the alternate screen, no cursor, keys read raw. The terminal is
 * restored by `close`, and also when the process exits any other way (a crash included), so a
 * shell is never left without its cursor or inside the alternate screen.
 */
export function enterFullScreen({ onQuit, onResize }: FullScreenOptions): FullScreen {
  const { stdin, stdout } = process;
  const write = (text: string) => {
    try {
      writeSync(stdout.fd, text);
    } catch {
      // The terminal is gone (a closed window): there is nothing left to draw on or restore.
    }
  };
  let closed = false;

  const onKey = (chunk: Buffer) => {
    for (const key of chunk.toString('utf8')) if (QUIT_KEYS.has(key)) return onQuit();
  };
  const onSignal = () => onQuit();
  const close = () => {
    if (closed) return;
    closed = true;
    stdout.off('resize', onResize);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    process.off('exit', close);
    if (stdin.isTTY) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    write(LEAVE);
  };

  process.on('exit', close);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  stdout.on('resize', onResize);
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  write(ENTER);

  return {
    get columns() {
      return stdout.columns ?? 80;
    },
    get rows() {
      return stdout.rows ?? 24;
    },
    draw(lines) {
      if (closed) return;
      // Home, then each line over the old one with the rest of it erased, then the rows below:
      // no full clear, so a redraw every second does not flicker.
      write(`${ESC}H${lines.map((line) => `${line}${ESC}K`).join('\r\n')}${ESC}J`);
    },
    close,
  };
}
