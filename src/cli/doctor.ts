import { Option, type Command } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../backend/types.js';
import { backendReport, formatBackendReport } from '../backend/report.js';
import { formatGpuReport, gpuReport } from '../backend/gpu-report.js';
import { BackendError } from '../util/errors.js';

interface DoctorFlags {
  json?: boolean;
  backend?: BackendName;
}

/** Where doctor's report goes; stdout unless a caller (a test) passes its own. */
export type Write = (text: string) => void;
const toStdout: Write = (text) => void process.stdout.write(text);

/** `dlth doctor [--json] [--backend X]`: which compute backend runs, on what, GPUs, and why not faster. */
export function registerDoctor(program: Command, write: Write = toStdout): Command {
  return program
    .command('doctor')
    .description('report the compute backend in use, TensorFlow version, devices, threads, GPUs (nvidia-smi, CUDA libraries, Vulkan adapter), and why a faster backend or a GPU is not used')
    .option('--json', 'print the report as JSON')
    .addOption(
      new Option('--backend <name>', 'backend to initialise (default: $DLTH_BACKEND, else auto)').choices([...BACKEND_NAMES]),
    )
    .action(async (flags: DoctorFlags) => {
      await runDoctor(flags, write);
    });
}

async function runDoctor(flags: DoctorFlags, write: Write): Promise<void> {
  try {
    const report = await backendReport({ backend: flags.backend, quiet: true });
    const gpus = await gpuReport(report);
    write(flags.json ? `${JSON.stringify({ ...report, gpus }, null, 2)}\n` : `${formatBackendReport(report)}\n${formatGpuReport(gpus)}\n`);
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    // An explicitly requested backend is unusable: the reason is the report.
    write(flags.json ? `${JSON.stringify({ error: err.code, message: err.message }, null, 2)}\n` : `${err.message}\n`);
    process.exitCode = 1;
  }
}
