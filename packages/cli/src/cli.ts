import { redactUrlCredentials } from '@flowcast/core'
import packageJson from '../package.json' with { type: 'json' }
import { commands } from './commands/index.js'
import { ExitCode, UsageError, type CliIO, type Command } from './io.js'

// Read from package.json at build time, so `changeset version` bumps what --version prints.
const { version } = packageJson

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length))
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`)
  return `flowcast ${version} — wait for Prefect flow runs, stream and emit Prefect events.

Usage: flowcast <command> [options]

Commands:
${lines.join('\n')}

Run 'flowcast <command> --help' for a command's options.
`
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined
  for (const command of commands) {
    const n = command.path.length
    if (command.path.every((word, i) => argv[i] === word)) {
      if (!best || n > best.command.path.length) best = { command, rest: argv.slice(n) }
    }
  }
  return best
}

function processIO(): { io: CliIO; dispose(): void } {
  const controller = new AbortController()
  const onSignal = () => controller.abort(new Error('interrupted'))
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    io: {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: controller.signal,
    },
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

/** Flags whose value is a secret (or may hold one, like a URL with `user:pass@`). */
const secretFlags = new Set(['--api-key', '--auth-string', '--secret'])

/**
 * The arguments as safe to echo: values of secret flags become `***` (`--api-key X` and
 * `--api-key=X`), and URLs lose their user info.
 */
function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = []
  let hideNext = false
  for (const arg of argv) {
    if (hideNext) {
      out.push('***')
      hideNext = false
      continue
    }
    const eq = arg.indexOf('=')
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    if (secretFlags.has(flag)) {
      if (eq > 0) out.push(`${flag}=***`)
      else {
        out.push(arg)
        hideNext = true
      }
      continue
    }
    out.push(redactUrlCredentials(arg))
  }
  return out
}

/**
 * Runs the `flowcast` command line and resolves to the process exit code.
 * `io` defaults to the real process (stdout, stderr, env, SIGINT/SIGTERM).
 */
export async function main(argv: string[], io?: CliIO): Promise<number> {
  const owned = io ? undefined : processIO()
  const ctx = io ?? owned!.io
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      ctx.stdout.write(globalHelp())
      return argv.length === 0 ? ExitCode.usage : ExitCode.ok
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      ctx.stdout.write(`${version}\n`)
      return ExitCode.ok
    }
    const found = findCommand(argv)
    if (!found) {
      ctx.stderr.write(
        `flowcast: unknown command '${redactArgv(argv).join(' ')}'\n\n${globalHelp()}`,
      )
      return ExitCode.usage
    }
    if (found.rest.includes('--help') || found.rest.includes('-h')) {
      ctx.stdout.write(
        found.command.help.endsWith('\n') ? found.command.help : `${found.command.help}\n`,
      )
      return ExitCode.ok
    }
    try {
      return await found.command.run(found.rest, ctx)
    } catch (error) {
      if (
        error instanceof UsageError ||
        (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ) {
        ctx.stderr.write(
          `flowcast ${found.command.path.join(' ')}: ${(error as Error).message}\nRun 'flowcast ${found.command.path.join(' ')} --help' for usage.\n`,
        )
        return ExitCode.usage
      }
      throw error
    }
  } finally {
    owned?.dispose()
  }
}

export type { CliIO, Command } from './io.js'
export { ExitCode } from './io.js'
