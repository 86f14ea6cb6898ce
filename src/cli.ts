/**
 * The edge of the program and the one place where the process exits. It
 * loads only what the command line asks for: `--version` and `--help` are
 * answered before the loader's modules (and the HTTP client) are evaluated, and
 * `serve` and `sign` load their own.
 */
import { ExitCode, toLoaderError } from './errors.ts';
import { nowMs } from './process/clock.ts';
import { closableWriter } from './process/closable-output.ts';
import { loaderVersion } from './process/self.ts';

/** Until the loader is loaded no secret has been read; then its redactor scrubs a fatal message. */
let scrub = (text: string): string => text;

async function entry(): Promise<number> {
  const startedAt = nowMs();
  const argv = process.argv.slice(2);
  const [command, ...commandArgs] = argv;
  const writeStderr = closableWriter(process.stderr);
  const write = closableWriter(process.stdout, (error) => {
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    writeStderr(
      `runtime-loader: stdout was closed by its reader (${code}); the run goes on without logging there, and its exit code still tells the outcome\n`,
    );
  });
  // The tools make no HTTP requests: the loader's start-up watch and V8 flags are not theirs.
  if (command === 'serve' || command === 'sign')
    return runTool(command, commandArgs, { stdout: write, stderr: writeStderr });
  // Only a lone flag takes the short way; any other command line is parsed in full.
  if (argv.length === 1 && (command === '--version' || command === '-V')) {
    write(`${loaderVersion}\n`);
    return ExitCode.ok;
  }
  if (argv.length === 1 && (command === '--help' || command === '-h')) {
    const { helpText } = await import('./config/help.ts');
    write(helpText(loaderVersion));
    return ExitCode.ok;
  }
  const loader = await import('./main.ts');
  scrub = loader.scrub;
  return loader.main(argv, process.env, startedAt, exit, { write, writeStderr });
}

/**
 * The companion tools: `serve` (the reference artifact server) and `sign`
 * (signed URLs for it). Loaded only when asked for, so the loader's start-up
 * does not pay for them.
 */
async function runTool(
  command: 'serve' | 'sign',
  args: readonly string[],
  output: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) exit(signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
      controller.abort(signal);
    });
  }
  const io = {
    ...output,
    stdoutIsTerminal: process.stdout.isTTY === true,
    env: process.env,
    signal: controller.signal,
  };
  try {
    const tool =
      command === 'serve'
        ? (await import('./commands/serve.ts')).runServe
        : (await import('./commands/sign.ts')).runSign;
    return await tool(args, io);
  } catch (caught) {
    const error = toLoaderError(caught);
    io.stderr(`runtime-loader ${command}: ${error.message}\n`);
    return error.exitCode;
  }
}

function exit(code: number): never {
  // biome-ignore lint/plugin: this is the one place where the process exits.
  process.exit(code);
}

entry().then(exit, (error: unknown) => {
  // A bug in the entry or the run itself: still one message and the internal-error code.
  process.stderr.write(
    `runtime-loader: internal error: ${scrub(error instanceof Error ? error.message : String(error))}\n`,
  );
  exit(ExitCode.internal);
});
