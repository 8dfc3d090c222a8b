// The `orc` command line (spec section 8): each command is a file in ./commands that registers itself here.
import { Command, CommanderError } from 'commander';
import { TemporalUnreachableError } from '../base/temporal-unreachable-error';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, ExitCode } from './exit-code';
import { register as registerValidate } from './commands/validate';
import { register as registerCompile } from './commands/compile';
import { register as registerRun } from './commands/run';
import { register as registerRerun } from './commands/rerun';
import { register as registerStatus } from './commands/status';
import { register as registerList } from './commands/list';
import { register as registerGraph } from './commands/graph';
import { register as registerPause } from './commands/pause';
import { register as registerResume } from './commands/resume';
import { register as registerCancel } from './commands/cancel';
import { register as registerApprove } from './commands/approve';
import { register as registerCache } from './commands/cache';
import { register as registerWorker } from './commands/worker';
import { register as registerServer } from './commands/server';
import { register as registerCodecServer } from './commands/codec-server';
import { register as registerGc } from './commands/gc';
import { register as registerAnswer } from './commands/answer';
import { register as registerTools } from './commands/tools';
import { register as registerReplay } from './commands/replay';
import { register as registerDeploy } from './commands/deploy';
import { register as registerTest } from './commands/test';
import { register as registerReport } from './commands/report';
import { register as registerMigrate } from './commands/migrate';

function buildProgram(): Command {
  const program = new Command('orc')
    .description('Run LLM pipelines written in YAML as durable Temporal workflows')
    .exitOverride()
    .showHelpAfterError();
  // One line a command, in the order `orc --help` lists them.
  registerValidate(program);
  registerCompile(program);
  registerRun(program);
  registerRerun(program);
  registerStatus(program);
  registerList(program);
  registerGraph(program);
  registerPause(program);
  registerResume(program);
  registerCancel(program);
  registerApprove(program);
  registerAnswer(program);
  registerCache(program);
  registerWorker(program);
  registerServer(program);
  registerCodecServer(program);
  registerGc(program);
  registerTools(program);
  registerReplay(program);
  registerDeploy(program);
  registerTest(program);
  registerReport(program);
  registerMigrate(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // The SDK wraps what failed on the way (a run store that cannot be reached, say) in a generic message: say both.
    // An unreachable server's message already says what its cause means, and ends with what to do.
    const wrapped = error instanceof Error && error.cause instanceof Error && !(error instanceof TemporalUnreachableError);
    const cause = wrapped && !error.message.includes((error.cause as Error).message) ? `: ${(error.cause as Error).message}` : '';
    process.stderr.write(`orc: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    // Exit once stdout is flushed: a large `--json` result written to a pipe is otherwise cut short.
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: unknown) => {
      process.stderr.write(`orc: ${String(error)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}
