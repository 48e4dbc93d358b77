/**
 * The one-line description of every metric in `flowcastMetrics` (`@flowcast/core`), by metric
 * name: what the OpenTelemetry instruments are created with. Kept here, not in core, so that
 * browser bundles of the parts that report the metrics do not carry them.
 */
export const flowcastMetricDescriptions: Readonly<Record<string, string>> = {
  'messaging.client.consumed.messages': 'Events (or logs) delivered to consumers, each once.',
  'flowcast.websocket.frames.skipped':
    'Frames skipped because they were not events (or logs), by flowcast.frame.kind.',
  'flowcast.websocket.duplicates':
    'Events (or logs) dropped because their id was already delivered.',
  'flowcast.websocket.filtered':
    'Events (or logs) the server sent that the client-side filter dropped.',
  'flowcast.websocket.connections': 'Sockets that finished the handshake.',
  'flowcast.websocket.reconnects':
    'Connection attempts after the first, by flowcast.reconnect.cause.',
  'flowcast.websocket.stalls': 'Times the stall watchdog dropped a silent socket.',
  'messaging.client.sent.messages':
    'Events written to the emitter socket (first sends and resends).',
  'flowcast.emitter.confirmed': 'Events the server confirmed having stored (by a checkpoint).',
  'flowcast.emitter.resent': 'Events sent again after a reconnect because they were not confirmed.',
  'flowcast.emitter.outbox': 'Events in the outbox: queued or sent and not confirmed yet.',
  'flowcast.emitter.checkpoint.duration': 'Time from sending a checkpoint to its confirmation.',
  'http.client.request.duration': 'Duration of each HTTP request attempt to the Prefect API.',
  'flowcast.http.retries':
    'Requests sent again, by the failure that caused it (http.response.status_code or error.type).',
  'flowcast.polling.runs': 'Flow runs asked for in each polling read (the batch size).',
  'flowcast.wait.active': 'Waits not settled yet.',
  'flowcast.wait.outcomes': 'Settled waits, by flowcast.wait.outcome and flowcast.wait.source.',
  'flowcast.wait.duration': 'Time from the start of a wait to its outcome.',
  'flowcast.wait.fallbacks':
    'Switches of the waiter from push to polling and back, by flowcast.wait.fallback.direction.',
  'flowcast.webhook.deliveries':
    'Webhook requests answered, by http.response.status_code and flowcast.webhook.outcome.',
  'flowcast.webhook.duplicates':
    'Deliveries not dispatched because they were already handled or in progress.',
}
