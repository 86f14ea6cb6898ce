/** What a subcommand gets from the edge (cli.ts): arguments, environment and outputs, read once. */
export interface ToolIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTerminal: boolean;
  /** Aborts on SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
}
