/**
 * A quiet CLI: native TensorFlow (2.21, absl logging) writes INFO lines to stderr while its shared
 * library loads ("All log messages before absl::InitializeLog()…", "oneDNN custom operations are
 * on…", "This TensorFlow binary is optimized…"), before TF_CPP_MIN_LOG_LEVEL is consulted, and
 * Node cannot redirect its own fd 2. So the commands that load TensorFlow run as a child process
 * whose stderr passes through a line filter that drops exactly those absl INFO/WARNING lines;
 * everything else (our messages, progress, TensorFlow errors) passes unchanged. `--verbose` or
 * DLTH_VERBOSE=1 turns this off.
 *
 * The child runs in its own process group, so a terminal's Ctrl-C reaches it once, through the
 * parent, which forwards SIGINT/SIGTERM/SIGHUP and exits with the child's status. If the parent
 * dies (even by SIGKILL) the child's IPC channel closes and it kills itself at once.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';

/** Commands that may load native TensorFlow. */
const TF_COMMANDS: ReadonlySet<string> = new Set(['run', 'score', 'train', 'doctor']);

const CHILD_ENV = 'DLTH_QUIET_CHILD';

/** absl/TensorFlow log lines we drop (INFO and WARNING; errors stay, and the pre-init banner), and Dawn's adapter probe noise. */
const NOISE: readonly RegExp[] = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] /,
  /^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$/,
  // Dawn (the webgpu backend's probe) on a machine without a usable Vulkan device; `dlth doctor`
  // reports the adapter itself in one line.
  /^error: XDG_RUNTIME_DIR is invalid or not set in the environment\.$/,
  /^Warning: Vulkan \S+ required\.$/,
  /^ - While initializing adapter \(backend=BackendType::\w+\)$/,
  /^\s+at \w+ \(\S*\/third_party\/dawn\/\S+:\d+\)$/,
];

export function isNoise(line: string): boolean {
  return NOISE.some((re) => re.test(line));
}

export function verboseRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--verbose') || env.DLTH_VERBOSE === '1';
}

/** Whether this process should re-run itself behind the filter. */
export function needsFilter(command: string | null, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return command !== null && TF_COMMANDS.has(command) && !verboseRequested(argv, env) && env[CHILD_ENV] !== '1';
}

/** In the child: die with the parent (its IPC channel closes when the parent exits or is killed). */
export function watchParent(): void {
  if (process.env[CHILD_ENV] !== '1' || !process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/**
 * Copies `input` to `write`, dropping noise lines. Line ends (\n or \r, as progress bars use) are
 * kept as they were; a line is judged once it is complete; a last unterminated one at the end.
 */
export function pipeFiltered(input: Readable, write: (text: string) => void): void {
  let pending = '';
  const emit = (segment: string): void => {
    if (!isNoise(segment.replace(/[\r\n]+$/, ''))) write(segment);
  };
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    pending += chunk;
    const re = /[^\r\n]*(?:\r\n|\r|\n)/y;
    let at = 0;
    for (let m = re.exec(pending); m; m = re.exec(pending)) {
      emit(m[0]);
      at = re.lastIndex;
    }
    pending = pending.slice(at);
  });
  input.on('end', () => {
    if (pending) emit(pending);
    pending = '';
  });
}

/** Runs this same command line as a filtered child; resolves to the exit status to use. */
export function runFiltered(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    detached: true,
    env: { ...process.env, [CHILD_ENV]: '1', DLTH_STDERR_TTY: process.stderr.isTTY ? '1' : '0', TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
  });
  if (child.stderr) pipeFiltered(child.stderr, (text) => process.stderr.write(text));
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward(sig));
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`dlth: error: cannot start the command: ${err.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(exitStatus(code, signal)));
  });
}

/** The child's status as a shell reports it: its exit code, or 128 + the number of the signal that killed it (SIGABRT from a native crash: 134). */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + ((signal && constants.signals[signal]) || 1);
}
