/** Where a command reads its environment and writes its output; injected so tests can run commands in-process. */
export interface CliIO {
  stdout: { write(chunk: string): unknown; isTTY?: boolean }
  stderr: { write(chunk: string): unknown; isTTY?: boolean }
  env: Record<string, string | undefined>
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal
  /**
   * Where `-` arguments read from (`flowcast run --params -`).
   * @default process.stdin
   */
  stdin?: AsyncIterable<string | Uint8Array>
}

/** A `flowcast` sub-command. */
export interface Command {
  /** The words that select it, e.g. `['events', 'stream']`. */
  path: readonly string[]
  /** One line for the command list. */
  summary: string
  /** Full `--help` text. */
  help: string
  /** Runs the command with the arguments after its path and resolves to the exit code. */
  run(args: string[], io: CliIO): Promise<number>
}

/** Exit codes of the CLI contract (docs/cli.md, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  usage: 2,
  refused: 3,
  failed: 10,
  crashed: 11,
  cancelled: 12,
  timeout: 20,
  authRejected: 30,
  unreachable: 31,
  /** SIGINT/SIGTERM arrived before the command finished (128 + SIGINT). */
  interrupted: 130,
} as const

/** A usage error: printed with the command's help hint and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
