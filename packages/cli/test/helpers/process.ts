// Runs the real `flowcast` bin as a child process for the CLI's process tests.
// bin/flowcast.js loads dist/: run `pnpm build` first.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const bin = fileURLToPath(new URL('../../bin/flowcast.js', import.meta.url))
export const dist = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

export interface Spawned {
  child: ChildProcess
  /** Settles on 'close', once the process has exited and both output streams have ended. */
  done: Promise<Finished>
  stdout(): string
  stderr(): string
}

/**
 * Spawns `node bin/flowcast.js ...args` with exactly `env`, collecting stdout and stderr;
 * `stdin: 'pipe'` gives the test `child.stdin` to write to.
 */
export function spawnFlowcast(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: 'ignore' | 'pipe' } = {},
): Spawned {
  const child = spawn(process.execPath, [bin, ...args], {
    env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<Finished>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  )
  return { child, done, stdout: () => stdout, stderr: () => stderr }
}

/** Only this process's PATH, plus `env`. */
export function pathOnlyEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...env }
}

/** This process's environment with the Prefect connection settings blanked, plus `env`. */
export function withoutPrefectEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PREFECT_API_URL: '',
    PREFECT_API_KEY: '',
    PREFECT_API_AUTH_STRING: '',
    ...env,
  }
}

/** SIGKILLs every child in `children` that is still running, and empties the list. */
export function killLeftovers(children: ChildProcess[]): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
}
