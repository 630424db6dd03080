import { request as httpRequest } from 'node:http';
import { waitFor } from './wait-for.ts';

/** A WebSocket client for tests that records every message and waits for the ones it expects. */
export interface TestSocket {
  readonly messages: readonly unknown[];
  /** Settles when the socket closes, with the code and reason the server gave. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Waits for the first recorded message (past or future) that matches, and returns it. */
  next<T = Record<string, unknown>>(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

/** Opens a socket; `headers` (e.g. Authorization) are sent with the upgrade request. */
export async function openTestSocket(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const socket = new WebSocket(url, { headers } as unknown as string[]);
  const messages: unknown[] = [];
  socket.addEventListener('message', (event) => messages.push(JSON.parse(String(event.data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', ({ code, reason }) => resolve({ code, reason }), { once: true }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener(
      'error',
      () => reject(new Error(`WebSocket ${url.replace(/token=[^&]*/, 'token=…')} failed to open`)),
      {
        once: true,
      },
    );
  });
  return {
    messages,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    next: <T>(match: (message: Record<string, unknown>) => boolean, timeoutMs = 10_000) =>
      waitFor(() => messages.find((message) => match(message as Record<string, unknown>)) as T | undefined, {
        timeoutMs,
        description: 'a matching WebSocket message',
      }),
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
}

/** The status code of a refused WebSocket upgrade. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}
