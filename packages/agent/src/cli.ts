import { Command, CommanderError, Option } from 'commander';
import type { AdminFlags } from './commands/admin.ts';
import type { BlocksReportFlags, DailyReportFlags } from './commands/report.ts';
import { AgentError, ExitCode } from './errors.ts';
import { printError } from './output.ts';
import { type CommonFlags, resolveSettings } from './settings.ts';

/** The flags every command takes; each has an environment variable too. */
function withCommonFlags(command: Command): Command {
  return command
    .addOption(new Option('--ingest <url>', 'ingest server URL').env('CCSYNC_INGEST_URL'))
    .addOption(new Option('--gateway <url>', 'gateway URL, for sync requests while watching').env('CCSYNC_GATEWAY_URL'))
    .addOption(new Option('--token <token>', 'device token').env('CCSYNC_TOKEN'))
    .addOption(new Option('--device <id>', 'device id (default: the hostname)').env('CCSYNC_DEVICE'))
    .addOption(
      new Option('--claude-dir <dirs>', 'Claude Code data directories, comma-separated').env('CLAUDE_CONFIG_DIR'),
    )
    .addOption(new Option('--state-dir <dir>', 'where cursors and the spool are kept').env('CCSYNC_STATE_DIR'))
    .option('--json', 'print JSON for scripts');
}

// Each command loads its own modules when it runs, so a quick `push` from a hook never pays for
// the report's price table or table renderer.
const program = new Command('ccsync')
  .description('Sync Claude Code token usage across your machines, with numbers identical to ccusage')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

withCommonFlags(program.command('push').alias('sync').description('push new usage once, then exit')).action(
  async (flags: CommonFlags) => {
    const { printPushResult, runPush } = await import('./commands/push.ts');
    const settings = await resolveSettings(flags);
    printPushResult(settings, await runPush(settings));
  },
);

withCommonFlags(
  program.command('watch').description('follow transcripts and push within a second of each new line'),
).action(async (flags: CommonFlags) => (await import('./commands/watch.ts')).runWatch(await resolveSettings(flags)));

withCommonFlags(program.command('status').description('show the cursor, the spool and the last push')).action(
  async (flags: CommonFlags) => (await import('./commands/status.ts')).runStatus(await resolveSettings(flags)),
);

withCommonFlags(
  program.command('login').argument('<url>', 'the ingest server URL').description('store the server and token'),
).action(async (url: string, flags: CommonFlags) =>
  (await import('./commands/login.ts')).runLogin(url, await resolveSettings(flags)),
);

const report = program.command('report').description('usage reports');
withCommonFlags(report.command('daily').description('daily usage, the same report as `ccusage claude daily`'))
  .option('--local', 'read this machine’s transcripts, without a server')
  .option('-z, --timezone <tz>', 'IANA timezone to group days in (default: the system’s)')
  .option('-s, --since <date>', 'first day, YYYYMMDD or YYYY-MM-DD')
  .option('-u, --until <date>', 'last day, YYYYMMDD or YYYY-MM-DD')
  .addOption(
    new Option('--pricing <file>', 'JSON file that overrides or extends the price table').env('CCSYNC_PRICING_FILE'),
  )
  .action(async (flags: CommonFlags & DailyReportFlags & { local?: boolean }) => {
    if (flags.local !== true) throw new AgentError(ExitCode.Usage, 'Only --local reports exist so far');
    await (await import('./commands/report.ts')).runDailyReport(await resolveSettings(flags), flags);
  });

withCommonFlags(report.command('blocks').description('5-hour blocks, the same report as `ccusage claude blocks`'))
  .option('--local', 'read this machine’s transcripts, without a server')
  .option('-a, --active', 'only the active block')
  .option('-r, --recent', 'blocks of the last 3 days and the active one')
  .option('-t, --token-limit <limit>', 'a token limit per block, or "max" for the largest past block')
  .option('-z, --timezone <tz>', 'IANA timezone for --since and --until (default: the system’s)')
  .option('-s, --since <date>', 'first day, YYYYMMDD or YYYY-MM-DD')
  .option('-u, --until <date>', 'last day, YYYYMMDD or YYYY-MM-DD')
  .addOption(
    new Option('--pricing <file>', 'JSON file that overrides or extends the price table').env('CCSYNC_PRICING_FILE'),
  )
  .action(async (flags: CommonFlags & BlocksReportFlags & { local?: boolean }) => {
    if (flags.local !== true) throw new AgentError(ExitCode.Usage, 'Only --local reports exist so far');
    await (await import('./commands/report.ts')).runBlocksReport(await resolveSettings(flags), flags);
  });

/** The flags of the operator's commands, which talk to the gateway with the server's admin token. */
function withAdminFlags(command: Command): Command {
  return command
    .addOption(new Option('--gateway <url>', 'gateway URL').env('CCSYNC_GATEWAY_URL').default('http://127.0.0.1:3000'))
    .addOption(new Option('--token <token>', 'the server’s admin token').env('CCSYNC_ADMIN_TOKEN'))
    .option('--json', 'print JSON for scripts');
}

const admin = program.command('admin').description('operate the server: projection versions and rebuilds');
withAdminFlags(admin.command('projections').description('each projection version’s state, lag and apply rate')).action(
  async (flags: AdminFlags) => (await import('./commands/admin.ts')).runProjections(flags),
);
withAdminFlags(
  admin.command('rebuild').description('rebuild the views from the whole history; reads switch when it has caught up'),
)
  .option('--wait', 'follow the rebuild until reads have switched')
  .action(async (flags: AdminFlags) => (await import('./commands/admin.ts')).runRebuild(flags));

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else if (error instanceof AgentError) {
    printError(error.message);
    process.exitCode = error.exitCode;
  } else {
    printError((error as Error).stack ?? String(error));
    process.exitCode = ExitCode.Unexpected;
  }
}
