import { readFile } from 'node:fs/promises'
import { parseFramesJsonl } from '../model/replay.js'
import type { ReplayFrame } from '../types.js'

/**
 * Reads a JSONL recording of `/events/out` frames (the format of `flow-run-frames.jsonl`).
 * @example
 * await server.replay(await readFramesFile('flow-run-frames.jsonl'), { timing: 'original' })
 */
export async function readFramesFile(
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<ReplayFrame[]> {
  const text = await readFile(path, {
    encoding: 'utf8',
    ...(options.signal ? { signal: options.signal } : {}),
  })
  return parseFramesJsonl(text)
}
