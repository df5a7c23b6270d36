import { Command, CommanderError } from 'commander';
import { describeError, exitCodeFor, ExitCode } from './exit.js';
import { requestStop } from '../util/abort.js';
import { smallImagesWarning } from '../patchify/small.js';
import { needsFilter, runFiltered, verboseRequested, watchParent } from './quiet.js';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded on demand: `dlth inspect` never loads TensorFlow.js or sharp, which
 * cost most of the start-up. Help and unknown commands load them all. Listed in help order.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run.js')).registerRun,
  score: async () => (await import('./score.js')).registerScore,
  materialize: async () => (await import('./materialize.js')).registerMaterialize,
  verify: async () => (await import('./verify.js')).registerVerify,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  preview: async () => (await import('./preview.js')).registerPreview,
  stream: async () => (await import('./stream.js')).registerStream,
  train: async () => (await import('./train.js')).registerTrain,
  merge: async () => (await import('./merge.js')).registerMerge,
  'make-cluttered': async () => (await import('./make-cluttered.js')).registerMakeCluttered,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
};

/** The command named on the command line (the first non-option argument), if it is one of ours. */
function invokedCommand(argv: string[]): string | null {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : null;
}

// Commands that load TensorFlow run behind a filter of its start-up log lines (see quiet.ts).
if (needsFilter(invokedCommand(process.argv), process.argv)) process.exit(await runFiltered());
watchParent();
if (!verboseRequested(process.argv)) process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

const program = new Command();
program
  .name('dlth')
  .description('Data-level lottery tickets for vision transformers: patchify, score, materialize Arrow ticket shards, stream, train.')
  .version('0.1.0')
  .option('--verbose', 'show TensorFlow/absl log lines (also DLTH_VERBOSE=1)')
  .showHelpAfterError()
  .exitOverride();

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
  const named = invokedCommand(process.argv);
  for (const name of named ? [named] : Object.keys(COMMANDS)) (await COMMANDS[name]())(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else {
    process.stderr.write(`${describeError(err)}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
const small = smallImagesWarning();
if (small) process.stderr.write(`dlth: warning: ${small}\n`);
// Exit as soon as the command is done: a signal arriving during a slow teardown would otherwise
// meet the default disposition once Node has closed its signal handles.
process.exit(process.exitCode ?? ExitCode.Ok);
