#!/usr/bin/env node
// The agent is written in erasable TypeScript, which Node 22.18+ runs directly. The compile cache
// keeps V8's work between runs, which matters for a command that hooks and status lines call often.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
const [command, ...args] = process.argv.slice(2);
if (command === 'statusline' && !args.includes('--help') && !args.includes('-h')) {
  // Claude Code runs the status line several times a second and it must answer within 50 ms:
  // it skips the CLI (commander, zod, settings) and loads only node: builtins and small modules.
  await (await import('../src/statusline/run.ts')).runStatusline(args);
} else {
  await import('../src/cli.ts');
}
