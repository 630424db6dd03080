/**
 * `npm run bench [-- --quick]`: every benchmark, each measured against its reference in the same
 * run, written to bench/results.md (the quick mode, a CI smoke test, only prints).
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { agentBenchmarks } from './agent.ts';
import { FULL_CORPUS, QUICK_CORPUS } from './corpus.ts';
import { FULL_INGEST, ingestBenchmarks, QUICK_INGEST } from './ingest.ts';
import { describeMachine } from './machine.ts';
import type { BenchmarkResult } from './measure.ts';
import { FULL_PROJECTOR, projectorBenchmarks, QUICK_PROJECTOR } from './projector.ts';
import { FULL_REALTIME, QUICK_REALTIME, realtimeBenchmarks } from './realtime.ts';
import { statuslineBenchmarks } from './statusline.ts';

const quick = process.argv.includes('--quick');
const started = Date.now();
const results: BenchmarkResult[] = [];
results.push(await agentBenchmarks(quick ? QUICK_CORPUS : FULL_CORPUS, quick ? 1 : 3));
results.push(await ingestBenchmarks(quick ? QUICK_INGEST : FULL_INGEST));
results.push(await projectorBenchmarks(quick ? QUICK_PROJECTOR : FULL_PROJECTOR));
results.push(await realtimeBenchmarks(quick ? QUICK_REALTIME : FULL_REALTIME));
results.push(await statuslineBenchmarks(quick ? 10 : 60));

const machine = await describeMachine();
const lines = [
  '# Benchmark results',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\`${quick ? ' --quick' : ''} in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  'Each figure is measured in the same run as its reference, because the machines are noisy; the ratio is what to compare.',
  '',
  '| Machine | |',
  '| --- | --- |',
  ...Object.entries(machine).map(([key, value]) => `| ${key} | ${value} |`),
  '',
];
for (const result of results) {
  lines.push(
    `## ${result.name}`,
    '',
    result.setup,
    '',
    '| Figure | ccsync | Reference | Ratio | Goal | Met |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const figure of result.figures) {
    const note = figure.note === undefined ? '' : ` (${figure.note})`;
    lines.push(
      `| ${figure.metric}${note} | ${figure.value} | ${figure.reference} | ${figure.ratio} | ${figure.goal} | ${figure.met ? 'yes' : `**no**: ${figure.missedBy}`} |`,
    );
  }
  lines.push('');
  if (result.limits !== undefined && result.figures.some((figure) => !figure.met)) {
    lines.push(`**What limits it.** ${result.limits}`, '');
  }
}
const report = `${lines.join('\n')}\n`;
process.stdout.write(report);
if (!quick) await writeFile(fileURLToPath(new URL('results.md', import.meta.url)), report);
