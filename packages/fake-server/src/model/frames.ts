/**
 * Frames that are not events, for fault injection: a client must skip them.
 * @example
 * server.faults.injectFrames([sampleFrames.control, sampleFrames.keepAlive, sampleFrames.binary])
 */
export const sampleFrames = {
  /** A checkpoint-style control frame (not sent by OSS; the kind blamed for `KeyError: 'event'`). */
  checkpoint: '{"type":"checkpoint","checkpoint":"01a01f7b-b06f-70f2-91a7-e5b2d04852d1"}',
  /** A control frame with an unknown `type`. */
  control: '{"type":"control","action":"noop"}',
  /** A JSON keep-alive frame. */
  keepAlive: '{"type":"keep-alive"}',
  /** An empty JSON object (no `type`). */
  emptyObject: '{}',
  /** Text that is not JSON. */
  notJson: 'this is not json',
  /** A binary frame. */
  binary: new Uint8Array([0x7b, 0x7d, 0x00, 0xff]),
  /** An `auth_failure` after the handshake. */
  authFailure: '{"type":"auth_failure","reason":"token expired"}',
} as const
