import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { waitFor } from './wait-for.ts';

/** A port nobody was listening on a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** True when something accepts TCP connections on the port. */
export async function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server process this code started, and can stop and start again on the same port and data. */
export interface LocalServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /**
   * Stops the process (SIGTERM, then SIGKILL after 5 s; or SIGKILL at once, as a crash). Data
   * stays.
   */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again after a stop, on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data, if this code created the data directory. */
  dispose(): Promise<void>;
}

export interface LocalServerOptions {
  readonly port?: number;
  /** Where the server keeps its data; a temporary directory, removed on dispose, when omitted. */
  readonly dataDir?: string;
  /** Forward the server's own output here (for `npm start`); discarded when omitted. */
  readonly onOutput?: (line: string) => void;
}

export class MissingServerBinaryError extends Error {
  override readonly name = 'MissingServerBinaryError';
  readonly binary: string;
  constructor(binary: string) {
    super(
      `${binary} is not on PATH. Install it with:\n  sudo apt-get install -y nats-server redis-server   (Debian/Ubuntu)\n  brew install nats-server redis                      (macOS)`,
    );
    this.binary = binary;
  }
}

async function spawnLocalServer(
  binary: string,
  scheme: string,
  args: (port: number, dataDir: string) => string[],
  options: LocalServerOptions,
): Promise<LocalServer> {
  const port = options.port ?? (await freePort());
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `ccsync-${binary}-`)));
  await mkdir(dataDir, { recursive: true });
  let child: ResultPromise | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const server = execa(binary, args(port, dataDir), {
      reject: false,
      stdin: 'ignore',
      buffer: false,
      forceKillAfterDelay: 5000,
    });
    child = server;
    server.stdout?.on('data', (chunk: Buffer) => options.onOutput?.(chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => options.onOutput?.(chunk.toString()));
    let failure: Error | undefined;
    exited = server.then((result) => {
      const missing = (result as { code?: string }).code === 'ENOENT';
      failure = missing ? new MissingServerBinaryError(binary) : new Error(`${binary} exited: ${result.message ?? ''}`);
    });
    const died = exited.then(() => {
      throw failure;
    });
    await Promise.race([
      waitFor(() => portAnswers(port), { timeoutMs: 15_000, description: `${binary} to listen on ${port}` }),
      died,
    ]).catch((error: unknown) => {
      server.kill('SIGKILL');
      throw error;
    });
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    child = undefined;
    if (running === undefined) return;
    running.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    dataDir,
    stop,
    start,
    dispose: async () => {
      await stop('SIGTERM');
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `nats-server -js` on loopback, storing JetStream data in its own directory. */
export function spawnNatsServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  return spawnLocalServer(
    'nats-server',
    'nats',
    (port, dataDir) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dataDir],
    options,
  );
}

/** `redis-server` on loopback, without persistence unless a data directory is given for it. */
export function spawnRedisServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  return spawnLocalServer(
    'redis-server',
    'redis',
    (port, dataDir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dataDir,
      '--save',
      '',
      '--appendonly',
      options.dataDir === undefined ? 'no' : 'yes',
    ],
    options,
  );
}
