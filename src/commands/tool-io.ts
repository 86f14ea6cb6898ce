/** What a subcommand gets from the edge (cli.ts): its outputs and the stop signal. */
export interface ToolIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTerminal: boolean;
  /** The environment, read at the edge (sign --k8s-apply finds the API server in it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts on SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
}
