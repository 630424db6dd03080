import { cpus, freemem, totalmem } from 'node:os';
import { execa } from 'execa';

/** The facts a figure needs beside it to mean anything: the machine and the versions measured. */
export async function describeMachine(): Promise<Record<string, string>> {
  const version = async (command: string, args: string[]) =>
    (await execa(command, args, { reject: false })).stdout.split('\n')[0]?.trim() || 'not found';
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free)`,
    node: process.version,
    'nats-server': await version('nats-server', ['--version']),
    'redis-server': await version('redis-server', ['--version']),
  };
}
