import { Command, CommanderError, Option } from 'commander';
import type { AdminFlags } from './commands/admin.ts';
import type { HooksFlags } from './commands/hooks.ts';
import type { MonitorFlags } from './commands/monitor.ts';
import type { BlocksReportFlags } from './commands/report.ts';
import type { ServerReportFlags } from './commands/server-report.ts';
import type { StatuslineFlags } from './commands/statusline.ts';
import type { TokensFlags } from './commands/tokens.ts';
import { AgentError, ExitCode } from './errors.ts';
import { printError } from './output.ts';
import { type CommonFlags, resolveSettings } from './settings.ts';

/** The flags every command takes; each has an environment variable too. */
function withCommonFlags(command: Command): Command {
  return command
    .addOption(new Option('--ingest <url>', 'ingest server URL').env('CCSYNC_INGEST_URL'))
    .addOption(new Option('--gateway <url>', 'gateway URL, for sync requests while watching').env('CCSYNC_GATEWAY_URL'))
    .addOption(new Option('--token <token>', 'device token').env('CCSYNC_TOKEN'))
    .addOption(
      new Option('--read-token <token>', 'token for reading the account (default: from login, else --token)').env(
        'CCSYNC_READ_TOKEN',
      ),
    )
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

withCommonFlags(program.command('push').alias('sync').description('push new usage once, then exit'))
  .option(
    '--quiet',
    'print nothing and exit 0 whatever happens, for Claude Code hooks (problems go to `ccsync status`)',
  )
  .action(async (flags: CommonFlags & { quiet?: boolean }) => {
    const { printPushResult, runPush, runQuietPush } = await import('./commands/push.ts');
    if (flags.quiet === true) return runQuietPush(flags);
    const settings = await resolveSettings(flags);
    printPushResult(settings, await runPush(settings));
  });

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

const report = program.command('report').description('usage reports of the whole account, from the server');
const pricingOption = () =>
  new Option('--pricing <file>', 'JSON file that overrides or extends the price table (--local)').env(
    'CCSYNC_PRICING_FILE',
  );
const timezoneOption = () =>
  new Option('-z, --timezone <tz>', 'IANA timezone to group days in (default: the system’s)');

for (const period of ['daily', 'weekly', 'monthly'] as const) {
  const command = withCommonFlags(
    report.command(period).description(`${period} usage per device, as \`ccusage claude ${period}\` reports it`),
  )
    .addOption(timezoneOption())
    .option('-s, --since <date>', 'first day, YYYYMMDD or YYYY-MM-DD')
    .option('-u, --until <date>', 'last day, YYYYMMDD or YYYY-MM-DD')
    .option('-o, --order <order>', 'asc or desc', 'asc')
    .option('--only-device <id>', 'only this device')
    .option('--project <name>', 'only this project, as transcripts name it');
  if (period === 'weekly') command.option('-w, --start-of-week <day>', 'the day weeks start on', 'sunday');
  if (period === 'daily')
    command.option('--local', 'read this machine’s transcripts, without a server').addOption(pricingOption());
  command.action(async (flags: CommonFlags & ServerReportFlags & { local?: boolean }) => {
    const settings = await resolveSettings(flags);
    if (flags.local === true) return (await import('./commands/report.ts')).runDailyReport(settings, flags);
    await (await import('./commands/server-report.ts')).runPeriodReport(settings, period, flags);
  });
}

withCommonFlags(report.command('session').description('sessions per device, as `ccusage claude session` reports them'))
  .addOption(timezoneOption())
  .option('-s, --since <date>', 'count messages from this day, YYYYMMDD or YYYY-MM-DD')
  .option('-u, --until <date>', 'count messages up to this day, YYYYMMDD or YYYY-MM-DD')
  .option('--project <name>', 'only this project, as transcripts name it')
  .action(async (flags: CommonFlags & ServerReportFlags) =>
    (await import('./commands/server-report.ts')).runSessionReport(await resolveSettings(flags), flags),
  );

withCommonFlags(
  report.command('blocks').description('account-wide 5-hour blocks, as `ccusage claude blocks` reports them'),
)
  .option('--local', 'read this machine’s transcripts, without a server')
  .option('-a, --active', 'only the active block')
  .option('-r, --recent', 'blocks of the last 3 days and the active one')
  .option('-t, --token-limit <limit>', 'a token limit per block, or "max" for the largest past block')
  .addOption(timezoneOption())
  .option('-s, --since <date>', 'first day, YYYYMMDD or YYYY-MM-DD (--local)')
  .option('-u, --until <date>', 'last day, YYYYMMDD or YYYY-MM-DD (--local)')
  .addOption(pricingOption())
  .action(async (flags: CommonFlags & BlocksReportFlags & { local?: boolean }) => {
    const settings = await resolveSettings(flags);
    if (flags.local === true) return (await import('./commands/report.ts')).runBlocksReport(settings, flags);
    await (await import('./commands/server-report.ts')).runBlocksReport(settings, flags);
  });

withCommonFlags(report.command('devices').description('every device of the account: totals and presence')).action(
  async (flags: CommonFlags) =>
    (await import('./commands/server-report.ts')).runDevicesReport(await resolveSettings(flags)),
);

withCommonFlags(
  program.command('tokens').description('daily token usage as a chart: one line per device and the total'),
)
  .option('-d, --days <n>', 'how many days, up to today', '14')
  .addOption(timezoneOption())
  .option('--local', 'this machine’s transcripts only, without a server')
  .option('--cost', 'chart the cost in USD instead of tokens')
  .action(async (flags: CommonFlags & TokensFlags) =>
    (await import('./commands/tokens.ts')).runTokens(await resolveSettings(flags), flags),
  );

withCommonFlags(
  program.command('monitor').description('live full-screen view of the account’s 5-hour block across every device'),
)
  .addOption(
    new Option('-p, --plan <plan>', 'the plan whose limit to show; custom learns it from past blocks (P90)')
      .choices(['pro', 'max5', 'max20', 'custom'])
      .default('custom'),
  )
  .option(
    '-t, --token-limit <n>',
    'input + output tokens per block instead of the plan’s limit, or "max" for the largest past block',
  )
  .action(async (flags: CommonFlags & MonitorFlags) =>
    (await import('./commands/monitor.ts')).runMonitor(await resolveSettings(flags), flags),
  );

// bin/ccsync.js answers `statusline` without loading this file; this declaration gives it --help.
program
  .command('statusline')
  .description('Claude Code status line: reads its JSON on stdin, prints one line from the cache `watch` keeps')
  .addOption(new Option('--state-dir <dir>', 'where watch keeps the cache').env('CCSYNC_STATE_DIR'))
  .option('-t, --token-limit <n>', 'a token limit per block, to show the block’s share of it')
  .action(async (flags: StatuslineFlags) => (await import('./commands/statusline.ts')).runStatusline(flags));

const hooks = program.command('hooks').description('Claude Code hooks that push on every prompt and reply');
hooks
  .command('install')
  .description('add ccsync’s hooks and status line to Claude Code’s settings.json (merged, never clobbered)')
  .option('--settings <file>', 'the settings file (default: ~/.claude/settings.json)')
  .option('--no-statusline', 'leave the status line as it is')
  .option('--json', 'print JSON for scripts')
  .action(async (flags: HooksFlags) => (await import('./commands/hooks.ts')).runHooksInstall(flags));
hooks
  .command('uninstall')
  .description('remove exactly what `hooks install` added')
  .option('--settings <file>', 'the settings file (default: ~/.claude/settings.json)')
  .option('--json', 'print JSON for scripts')
  .action(async (flags: HooksFlags) => (await import('./commands/hooks.ts')).runHooksUninstall(flags));

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
