/** What a subcommand gets from the edge (cli.ts): its outputs and the stop signal. */
export interface ToolIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTerminal: boolean;
  /** Aborts on SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
}
