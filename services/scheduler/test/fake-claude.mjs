#!/usr/bin/env node
// A stand-in for Claude Code in print mode, for the scheduler's tests: it answers as
// `claude -p ... --output-format json` does, and can hang or flood on request.
import { appendFileSync } from 'node:fs';

const args = process.argv.slice(2);
const prompt = args[args.indexOf('-p') + 1];

if (prompt === 'hang') {
  // Ignores SIGTERM, as a stuck program might: only SIGKILL stops it.
  appendFileSync('hang.pids', `${process.pid}\n`);
  process.on('SIGTERM', () => {});
  setInterval(() => {}, 60_000);
} else if (prompt === 'flood') {
  process.stdout.write('x'.repeat(4 * 1024 * 1024));
} else {
  // One line per run, so a test can count how often the program really ran.
  appendFileSync('invocations', '.\n');
  const seen = { args, env: Object.keys(process.env).sort(), cwd: process.cwd() };
  process.stdout.write(
    JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      result: JSON.stringify(seen),
      total_cost_usd: 0.0123,
      usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 30, cache_read_input_tokens: 40 },
    }),
  );
}
