/**
 * undici's modules one by one: the delivery path imports only the `Agent` and the connector it needs, so that
 * its bundle leaves out `fetch`, WebSocket, the cache, the mocks and the proxies (about half of undici). The
 * package exports these files (it has no `exports` map); their types are the package's own.
 */
declare module 'undici/lib/dispatcher/agent.js' {
  const Agent: typeof import('undici').Agent;
  export default Agent;
}

declare module 'undici/lib/core/connect.js' {
  const buildConnector: typeof import('undici').buildConnector;
  export default buildConnector;
}
