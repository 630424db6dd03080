#!/usr/bin/env node
// The agent is written in erasable TypeScript, which Node 22.18+ runs directly. The compile cache
// keeps V8's work between runs, which matters for a command that hooks and status lines call often.
import * as nodeModule from 'node:module';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`ccsync needs Node.js 22.18 or newer; this is ${process.version}\n`);
  process.exit(2);
}
nodeModule.enableCompileCache?.();
const [command, ...args] = process.argv.slice(2);
if (command === 'statusline' && !args.includes('--help') && !args.includes('-h')) {
  // Claude Code runs the status line several times a second and it must answer within 50 ms:
  // it skips the CLI (commander, zod, settings) and loads only node: builtins and small modules.
  await (await import('../src/statusline/run.ts')).runStatusline(args);
} else {
  await import('../src/cli.ts');
}
