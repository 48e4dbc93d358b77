import { PrefectDateTime } from '@flowcast/core'
import type { ReplayFrame } from '../types.js'
import { isRecord, tryParseJson } from './util.js'

/** Parses JSONL frames (one raw frame per non-blank line, as in `flow-run-frames.jsonl`). */
export function parseFramesJsonl(text: string): ReplayFrame[] {
  const frames: ReplayFrame[] = []
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    let occurredMs: number | undefined
    const parsed = tryParseJson(line)
    if (parsed.ok && isRecord(parsed.value) && parsed.value.type === 'event') {
      const event = parsed.value.event
      if (isRecord(event) && typeof event.occurred === 'string') {
        occurredMs = PrefectDateTime.tryParse(event.occurred)?.toEpochMillis()
      }
    }
    frames.push({ raw: line, occurredMs })
  }
  return frames
}

/** Milliseconds to wait before each frame under the given timing. */
export function replayDelays(
  frames: readonly ReplayFrame[],
  timing: 'original' | 'compressed',
  speed: number,
  gapMs: number,
): number[] {
  let previous: number | undefined
  return frames.map((frame, index) => {
    if (timing === 'compressed') return index === 0 ? 0 : gapMs
    const at = frame.occurredMs
    if (at === undefined) return 0
    const delay = previous === undefined ? 0 : Math.max(0, (at - previous) / speed)
    previous = at
    return delay
  })
}
