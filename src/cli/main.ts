import { Command, CommanderError } from 'commander';
import { describeError, exitCodeFor, ExitCode } from './exit.js';
import { requestStop } from '../util/abort.js';
import { registerRun } from './run.js';
import { registerScore } from './score.js';
import { registerMaterialize } from './materialize.js';
import { registerVerify } from './verify.js';
import { registerInspect } from './inspect.js';
import { registerPreview } from './preview.js';
import { registerStream } from './stream.js';
import { registerTrain } from './train.js';
import { registerMerge } from './merge.js';
import { registerDoctor } from './doctor.js';

const program = new Command();
program
  .name('dlth')
  .description('Data-level lottery tickets for vision transformers: patchify, score, materialize Arrow ticket shards, stream, train.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerRun(program);
registerScore(program);
registerMaterialize(program);
registerVerify(program);
registerInspect(program);
registerPreview(program);
registerStream(program);
registerTrain(program);
registerMerge(program);
registerDoctor(program);

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
// Exit as soon as the command is done: a signal arriving during a slow teardown would otherwise
// meet the default disposition once Node has closed its signal handles.
process.exit(process.exitCode ?? ExitCode.Ok);
