/**
 * The fan-out reference: the smallest WebSocket broadcaster Node can run (`ws`, which the gateway
 * uses too), with no auth, routing or protocol. Prints its port, then reads commands on stdin:
 * `rss` prints its resident memory in bytes; `send <count>` broadcasts the message on the next
 * line `count` times to every socket.
 */
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve) => server.once('listening', resolve));
const address = server.address();
process.stdout.write(`port ${typeof address === 'object' && address !== null ? address.port : address}\n`);

let pending: number | undefined;
for await (const line of createInterface({ input: process.stdin })) {
  if (pending !== undefined) {
    for (let i = 0; i < pending; i++) for (const client of server.clients) client.send(line);
    pending = undefined;
    process.stdout.write('sent\n');
  } else if (line === 'rss') {
    process.stdout.write(`rss ${process.memoryUsage().rss}\n`);
  } else if (line.startsWith('send ')) {
    pending = Number(line.slice(5));
  }
}
