#!/usr/bin/env node
// The agent is written in erasable TypeScript, which Node 22.18+ runs directly. The compile cache
// keeps V8's work between runs, which matters for a command that hooks and status lines call often.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
await import('../src/cli.ts');
