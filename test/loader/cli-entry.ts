/**
 * A test-only CLI entry registering `dlth stream` (until src/cli/main.ts does): same exit-code and
 * error handling as the real entry.
 */
import { Command, CommanderError } from 'commander';
import { describeError, exitCodeFor, ExitCode } from '../../src/cli/exit.js';
import { registerStream } from '../../src/cli/stream.js';

const program = new Command().name('dlth').exitOverride();
registerStream(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  else {
    process.stderr.write(`${describeError(err)}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
