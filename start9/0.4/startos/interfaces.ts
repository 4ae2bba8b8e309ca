import { sdk } from './sdk'
import { uiPort } from './utils'

// One HTTP binding for the web interface; StartOS publishes it on every address the box has
// (LAN .local and IP, Tailscale and any other gateway the user enables), with its own TLS.
export const setInterfaces = sdk.setupInterfaces(async ({ effects }) => {
  const origin = await sdk.MultiHost.of(effects, 'main').bindPort(uiPort, { protocol: 'http' })
  const ui = sdk.createInterface(effects, {
    id: 'ui',
    name: 'Web Interface',
    description: 'The CRM in a browser: the grid, pipeline, email, settings and admin pages, and its JSON API under /api',
    type: 'ui',
    masked: false,
    schemeOverride: null,
    username: null,
    path: '',
    query: {},
  })
  return [await origin.export([ui])]
})
