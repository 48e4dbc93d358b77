// The Node entry (export condition `node`): the API of ./index.ts, plus the reader that turns
// undici's `fetch failed` into the system error and a hint (`ECONNREFUSED 127.0.0.1:4200:
// nothing accepts connections there; …`) in `CONNECT_FAILED` errors.
import { setNetworkFailureReader } from './http.js'
import { networkFailure } from './network-failure.js'

setNetworkFailureReader(networkFailure)

export * from './index.js'
