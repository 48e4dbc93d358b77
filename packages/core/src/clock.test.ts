import { afterEach, describe, expect, test, vi } from 'vitest'
import { abortedError, createManualClock, sleep, systemClock } from './clock.js'
import { isFlowcastError } from './errors.js'

describe('createManualClock', () => {
  test('starts where told and only moves on advance', () => {
    const clock = createManualClock(1000)
    expect(clock.now()).toBe(1000)
    clock.advance(250)
    expect(clock.now()).toBe(1250)
    expect(createManualClock().now()).toBe(0)
  })

  test('runs due timers in time order, ties in scheduling order, each at its due time', () => {
    const clock = createManualClock()
    const log: string[] = []
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 30)
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 10)
    clock.setTimeout(() => log.push(`late@${clock.now()}`), 100)
    expect(clock.pendingTimers).toBe(4)
    clock.advance(50)
    expect(log).toEqual(['a@10', 'b@10', 'c@30'])
    expect(clock.now()).toBe(50)
    expect(clock.pendingTimers).toBe(1)
  })

  test('timers scheduled by timers run in the same advance when due', () => {
    const clock = createManualClock()
    const log: number[] = []
    clock.setTimeout(() => {
      log.push(clock.now())
      clock.setTimeout(() => log.push(clock.now()), 5)
    }, 5)
    clock.advance(10)
    expect(log).toEqual([5, 10])
  })

  test('clearTimeout cancels; unknown handles are ignored', () => {
    const clock = createManualClock()
    const fn = vi.fn()
    const handle = clock.setTimeout(fn, 10)
    clock.clearTimeout(handle)
    clock.clearTimeout({})
    clock.clearTimeout(handle)
    clock.advance(20)
    expect(fn).not.toHaveBeenCalled()
    expect(clock.pendingTimers).toBe(0)
  })

  test('negative or NaN delays run at the next advance, even of 0', () => {
    const clock = createManualClock()
    const fn = vi.fn()
    clock.setTimeout(fn, -5)
    clock.setTimeout(fn, Number.NaN)
    clock.advance(0)
    expect(fn).toHaveBeenCalledTimes(2)
  })

  test('rejects invalid steps and starts', () => {
    const clock = createManualClock()
    expect(() => clock.advance(-1)).toThrow(/invalid clock advance/)
    expect(() => clock.advance(Infinity)).toThrow(/invalid clock advance/)
    expect(() => createManualClock(Number.NaN)).toThrow(/invalid clock start/)
  })

  test('advanceAsync lets promise chains settle between timers', async () => {
    const clock = createManualClock()
    const log: string[] = []
    const chain = async () => {
      await sleep(10, { clock })
      log.push(`first@${clock.now()}`)
      await Promise.resolve()
      await sleep(10, { clock })
      log.push(`second@${clock.now()}`)
    }
    const done = chain()
    // A synchronous advance cannot follow the chain: the second timer is scheduled later.
    const sync = createManualClock()
    let syncRan = false
    void sleep(10, { clock: sync }).then(() =>
      sleep(10, { clock: sync }).then(() => (syncRan = true)),
    )
    sync.advance(20)
    await Promise.resolve()
    expect(syncRan).toBe(false)

    await clock.advanceAsync(20)
    expect(log).toEqual(['first@10', 'second@20'])
    await done
  })
})

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('resolves after the delay on the given clock', async () => {
    const clock = createManualClock()
    let done = false
    const slept = sleep(100, { clock }).then(() => (done = true))
    await clock.advanceAsync(99)
    expect(done).toBe(false)
    await clock.advanceAsync(1)
    await slept
    expect(done).toBe(true)
  })

  test('rejects with ABORTED at once for an aborted signal', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    const error = await sleep(10, { signal: controller.signal, clock: createManualClock() }).catch(
      (e: unknown) => e,
    )
    expect(isFlowcastError(error, 'ABORTED')).toBe(true)
    expect((error as Error).cause).toEqual(new Error('stop'))
  })

  test('rejects with ABORTED on abort, clears its timer and removes its listener', async () => {
    const clock = createManualClock()
    const controller = new AbortController()
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    const slept = sleep(100, { clock, signal: controller.signal })
    expect(clock.pendingTimers).toBe(1)
    controller.abort()
    await expect(slept).rejects.toMatchObject({ code: 'ABORTED' })
    expect(clock.pendingTimers).toBe(0)

    const finished = sleep(5, { clock, signal: controller.signal })
    await expect(finished).rejects.toMatchObject({ code: 'ABORTED' })
    const other = new AbortController()
    const add = vi.spyOn(other.signal, 'addEventListener')
    const removeOther = vi.spyOn(other.signal, 'removeEventListener')
    const ok = sleep(5, { clock, signal: other.signal })
    await clock.advanceAsync(5)
    await ok
    expect(add).toHaveBeenCalledTimes(1)
    expect(removeOther).toHaveBeenCalledWith('abort', add.mock.calls[0]![1])
    expect(remove).not.toHaveBeenCalled()
  })

  test('systemClock follows vi.useFakeTimers because it reads the globals at call time', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-08-20T00:00:00Z'))
    expect(systemClock.now()).toBe(Date.parse('2026-08-20T00:00:00Z'))
    let done = false
    const slept = sleep(1000).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(999)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await slept
    expect(done).toBe(true)
    const fn = vi.fn()
    const handle = systemClock.setTimeout(fn, 10)
    systemClock.clearTimeout(handle)
    await vi.advanceTimersByTimeAsync(20)
    expect(fn).not.toHaveBeenCalled()
  })
})

test('abortedError carries the reason', () => {
  const controller = new AbortController()
  controller.abort('why')
  const error = abortedError(controller.signal, 'wait aborted')
  expect(error.code).toBe('ABORTED')
  expect(error.cause).toBe('why')
  expect(error.message).toBe('[@flowcast/core] wait aborted: the signal was aborted')
})
