import { Command, CommanderError } from 'commander';
import { describeError, exitCodeFor, ExitCode } from './exit.js';
import { requestStop } from '../util/abort.js';
import { registerRun } from './run.js';

const program = new Command();
program
  .name('dlth')
  .description('Data-level lottery tickets for vision transformers: patchify, score, materialize Arrow ticket shards, stream, train.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerRun(program);

let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`dlth: ${sig} again: exiting now; completed shards are kept, rerun the same command to resume\n`);
      process.exit(ExitCode.Interrupted);
    }
    process.stderr.write(`dlth: ${sig}: stopping after the current unit of work (press again to exit now)\n`);
    requestStop(sig);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else {
    process.stderr.write(`${describeError(err)}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
