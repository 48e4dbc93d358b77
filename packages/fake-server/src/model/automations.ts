import {
  flowRunIdFromResourceId,
  matchesLabelPattern,
  type FlowRun,
  type Logger,
  type ReceivedEvent,
} from '@flowcast/core'
import type { AutomationInput, FakeAutomation, WebhookCallRecord } from '../types.js'
import { renderTemplate, TemplateDateTime } from './template.js'
import { fakeError } from './util.js'

/** What automations need from the rest of the fake. */
export interface AutomationHost {
  readonly logger: Logger
  newId(): string
  /** The `FlowRunResponse` of a run, for the template's `flow_run`. */
  readFlowRun(id: string): FlowRun | undefined
  /** Records a webhook call (then mutated as the delivery progresses). */
  recordWebhookCall(call: WebhookCallRecord): void
  /** `fetch` for deliveries (looked up at call time). */
  fetch(): typeof fetch
}

/** Whether an automation's trigger matches an event (`expect`, `match`, `match_related`). */
function triggers(automation: FakeAutomation, event: ReceivedEvent): boolean {
  const { expect, match, match_related: matchRelated } = automation.trigger
  if (expect && expect.length > 0 && !expect.some((p) => matchesLabelPattern(event.event, p))) {
    return false
  }
  const labelsMatch = (resource: Record<string, string>, spec: Record<string, string | string[]>) =>
    Object.entries(spec).every(([label, patterns]) =>
      (Array.isArray(patterns) ? patterns : [patterns]).some((p) =>
        matchesLabelPattern(resource[label], p),
      ),
    )
  if (match && !labelsMatch(event.resource, match)) return false
  if (matchRelated && !event.related.some((r) => labelsMatch(r, matchRelated))) return false
  return true
}

/** Automations with a webhook action (docs/protocol.md §7): triggered by stored events. */
export class Automations {
  readonly #host: AutomationHost
  #seq = 0
  #automations = new Map<string, FakeAutomation>()
  #inFlight = new Set<Promise<void>>()

  constructor(host: AutomationHost) {
    this.#host = host
  }

  add(input: AutomationInput): FakeAutomation {
    const id = this.#host.newId()
    const automation: FakeAutomation = {
      id,
      name: input.name ?? `automation-${++this.#seq}`,
      trigger: input.trigger,
      action: {
        url: input.action.url,
        method: input.action.method ?? 'POST',
        headers: { ...(input.action.headers ?? {}) },
        payload: input.action.payload ?? '',
      },
      enabled: input.enabled ?? true,
    }
    this.#automations.set(id, automation)
    return automation
  }

  remove(id: string): boolean {
    return this.#automations.delete(id)
  }

  clear(): void {
    this.#automations.clear()
  }

  /** Starts a delivery for every enabled automation the event triggers. */
  run(event: ReceivedEvent): void {
    for (const automation of this.#automations.values()) {
      if (!automation.enabled || !triggers(automation, event)) continue
      const delivery = this.#deliver(automation, event).finally(() => {
        this.#inFlight.delete(delivery)
      })
      this.#inFlight.add(delivery)
    }
  }

  async settle(options: { signal?: AbortSignal } = {}): Promise<void> {
    while (this.#inFlight.size > 0) {
      if (options.signal?.aborted) throw fakeError('ABORTED', 'settleWebhooks aborted')
      await Promise.allSettled([...this.#inFlight])
    }
  }

  #templateContext(automation: FakeAutomation, event: ReceivedEvent): Record<string, unknown> {
    const flowRunId = flowRunIdFromResourceId(event.resource['prefect.resource.id'])
    const run = flowRunId ? this.#host.readFlowRun(flowRunId) : undefined
    return {
      automation: { id: automation.id, name: automation.name },
      event: {
        ...event,
        occurred: new TemplateDateTime(event.occurred),
        received: new TemplateDateTime(event.received),
      },
      ...(run ? { flow_run: run } : {}),
    }
  }

  async #deliver(automation: FakeAutomation, event: ReceivedEvent): Promise<void> {
    const { url, method, headers } = automation.action
    const logger = this.#host.logger
    const call: WebhookCallRecord = {
      automationId: automation.id,
      eventId: event.id,
      method,
      url,
      headers: { ...headers },
      body: '',
      status: undefined,
      responseBody: undefined,
      error: undefined,
    }
    this.#host.recordWebhookCall(call)
    try {
      call.body = renderTemplate(
        automation.action.payload,
        this.#templateContext(automation, event),
      )
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error)
      logger.warn('fake-server: webhook template failed', { automationId: automation.id })
      return
    }
    const init: RequestInit = { method, headers: { ...headers } }
    // A string body would make fetch add `Content-Type: text/plain`; Prefect sends none (docs/protocol.md §7).
    if (method !== 'GET') init.body = new TextEncoder().encode(call.body)
    try {
      const response = await this.#host.fetch()(url, init)
      call.status = response.status
      call.responseBody = (await response.text()).slice(0, 1000)
      logger.debug('fake-server: webhook delivered', {
        automationId: automation.id,
        status: response.status,
      })
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error)
      logger.warn('fake-server: webhook delivery failed', { automationId: automation.id })
    }
  }
}
