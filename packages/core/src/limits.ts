/**
 * The server's event limits (docs/protocol.md §4.1–4.2; the defaults of
 * `PREFECT_SERVER_EVENTS_MAXIMUM_*` / `PREFECT_EVENTS_MAXIMUM_*`).
 */
export const eventLimits = /* @__PURE__ */ Object.freeze({
  /** Longest event name, in characters. */
  maxEventNameLength: 1024,
  /** Most labels on one resource, `prefect.resource.id` included. */
  maxLabelsPerResource: 500,
  /** Most entries in `related`. */
  maxRelatedResources: 100,
  /** Largest serialised event, in UTF-8 bytes. */
  maxEventSizeBytes: 1_500_000,
})

/** Longest `text.query` the server accepts in an event or log filter. */
export const maxTextQueryLength = 200
