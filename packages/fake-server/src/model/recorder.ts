import type { ReceivedEvent } from '@flowcast/core'
import type {
  ConnectionRecord,
  CreatedFlowRunRecord,
  EventArrivalRecord,
  FakePrefectRecorder,
  HttpRequestRecord,
  RejectedUpgradeRecord,
  WebhookCallRecord,
} from '../types.js'

/** Appends to a list that keeps its newest `limit` entries; returns how many were dropped. */
function pushBounded<T>(list: T[], item: T, limit: number): T[] {
  list.push(item)
  return list.length > limit ? list.splice(0, list.length - limit) : []
}

/**
 * What the fake saw, in bounded lists: each keeps its newest `limit` entries, and request bodies
 * stay within `bodyBytes` in total (older bodies are dropped first, their records stay).
 */
export class Recorder {
  readonly #limit: number
  readonly #bodyBudget: number
  #connections: ConnectionRecord[] = []
  #rejectedUpgrades: RejectedUpgradeRecord[] = []
  #httpRequests: HttpRequestRecord[] = []
  #httpBodySizes = new Map<HttpRequestRecord, number>()
  #httpBodyBytes = 0
  #receivedEvents: ReceivedEvent[] = []
  #arrivals: EventArrivalRecord[] = []
  #webhookCalls: WebhookCallRecord[] = []
  #createdFlowRuns: CreatedFlowRunRecord[] = []

  /** The read-only view handed to users (`server.recorder`). */
  readonly view: FakePrefectRecorder

  constructor(options: { limit: number; bodyBytes: number }) {
    this.#limit = options.limit
    this.#bodyBudget = options.bodyBytes
    const view = { clear: () => this.clear() }
    const lists: Record<Exclude<keyof FakePrefectRecorder, 'clear'>, () => readonly unknown[]> = {
      connections: () => this.#connections,
      rejectedUpgrades: () => this.#rejectedUpgrades,
      httpRequests: () => this.#httpRequests,
      receivedEvents: () => this.#receivedEvents,
      eventArrivals: () => this.#arrivals,
      webhookCalls: () => this.#webhookCalls,
      createdFlowRuns: () => this.#createdFlowRuns,
    }
    for (const [name, get] of Object.entries(lists)) {
      Object.defineProperty(view, name, { get, enumerable: true })
    }
    this.view = view as FakePrefectRecorder
  }

  connection(record: ConnectionRecord): void {
    pushBounded(this.#connections, record, this.#limit)
  }

  rejectedUpgrade(record: RejectedUpgradeRecord): void {
    pushBounded(this.#rejectedUpgrades, record, this.#limit)
  }

  /** Records an answered request; `bodyBytes` is what its kept body costs against the budget. */
  httpRequest(record: HttpRequestRecord, bodyBytes: number): void {
    for (const dropped of pushBounded(this.#httpRequests, record, this.#limit)) {
      this.#httpBodyBytes -= this.#httpBodySizes.get(dropped) ?? 0
      this.#httpBodySizes.delete(dropped)
    }
    if (bodyBytes > this.#bodyBudget) {
      record.body = undefined
      return
    }
    if (bodyBytes > 0) {
      this.#httpBodySizes.set(record, bodyBytes)
      this.#httpBodyBytes += bodyBytes
    }
    // Map iteration is insertion order: the oldest kept bodies go first.
    for (const [old, size] of this.#httpBodySizes) {
      if (this.#httpBodyBytes <= this.#bodyBudget) break
      old.body = undefined
      this.#httpBodyBytes -= size
      this.#httpBodySizes.delete(old)
    }
  }

  receivedEvent(event: ReceivedEvent): void {
    pushBounded(this.#receivedEvents, event, this.#limit)
  }

  /** Events received from clients, oldest first (for `expectEmitted`). */
  get receivedEvents(): readonly ReceivedEvent[] {
    return this.#receivedEvents
  }

  arrival(record: EventArrivalRecord): void {
    pushBounded(this.#arrivals, record, this.#limit)
  }

  webhookCall(record: WebhookCallRecord): void {
    pushBounded(this.#webhookCalls, record, this.#limit)
  }

  createdFlowRun(record: CreatedFlowRunRecord): void {
    pushBounded(this.#createdFlowRuns, record, this.#limit)
  }

  /** `recorder.clear()`: forgets everything except the records of open connections. */
  clear(): void {
    this.#connections = this.#connections.filter((r) => r.closedAt === undefined)
    this.#rejectedUpgrades = []
    this.#httpRequests = []
    this.#httpBodySizes.clear()
    this.#httpBodyBytes = 0
    this.#receivedEvents = []
    this.#arrivals = []
    this.#webhookCalls = []
    this.#createdFlowRuns = []
  }

  /** Forgets everything, open connections included. */
  reset(): void {
    this.clear()
    this.#connections = []
  }
}
