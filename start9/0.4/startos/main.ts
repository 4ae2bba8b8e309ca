import { matrixEnv, matrixProblems, primaryEnv } from './env'
import { storeJson } from './fileModels/store.json'
import { sdk } from './sdk'
import { smtpEnv } from './smtpEnv'
import { appDir, appUser, dataDir, entrypoint, mounts, readyPath, uiPort } from './utils'

const crmUrl = `http://127.0.0.1:${uiPort}`

/** What the bot's health check asks the CRM with the bot's token (the bot's own first call). */
export const botCheckPath = '/api/intake/vocabulary'

export const main = sdk.setupMain(async ({ effects }) => {
  // .const(): a change to store.json (any action) re-runs main, restarting the daemons with
  // the new environment. Init seeds the file before main first runs.
  const store = await storeJson.read().const(effects)
  if (!store) throw new Error('store.json is missing from the volume: restart the service to seed it')
  if (store.secretKey.length < 32) throw new Error('store.json has no CRM secret key: restart the service to seed it')

  const smtp = await smtpEnv(effects, store.smtp)

  const daemons = sdk.Daemons.of(effects)
    // The image runs as its user `crm` (the Dockerfile's USER); the volume and anything the
    // package wrote into it (a Gmail key from its action) start out root's. Hand them over,
    // all but store.json, which only this package reads. Touches only what crm does not own.
    .addOneshot('chown-data', {
      subcontainer: sdk.SubContainer.of(effects, { imageId: 'main' }, mounts, 'chown-data'),
      exec: {
        command: [
          'find', dataDir, '-path', `${dataDir}/store.json`, '-prune',
          '-o', '!', '-user', appUser, '-exec', 'chown', '-h', `${appUser}:${appUser}`, '{}', '+',
        ],
        user: 'root',
      },
      requires: [],
    })
    .addDaemon('primary', {
      subcontainer: sdk.SubContainer.of(effects, { imageId: 'main' }, mounts, 'crm'),
      exec: {
        command: [entrypoint, 'python', '-m', 'backend.server'],
        cwd: appDir,
        env: primaryEnv(store.secretKey, smtp, store.llm),
      },
      ready: {
        display: 'Web Interface',
        // The entrypoint runs the migrations before the server listens: on a big database after an
        // update that can take a while; failures meanwhile show as "starting".
        gracePeriod: 120_000,
        fn: async () => {
          try {
            // checkWebUrl would count any answer (a 503 too) as healthy: readiness must say 200.
            const res = await fetch(`${crmUrl}${readyPath}`, { signal: AbortSignal.timeout(5_000) })
            return res.ok
              ? { result: 'success', message: 'Venture CRM is ready' }
              : { result: 'failure', message: `Venture CRM is not ready yet (${readyPath} answered ${res.status})` }
          } catch {
            return { result: 'failure', message: 'Venture CRM is not answering on port 8080 yet' }
          }
        },
      },
      requires: ['chown-data'],
    })

  // The Matrix intake bot: a second daemon, only when Matrix Intake Bot turned it on with
  // complete settings. Branching on the chain (not addDaemon's function form) keeps the
  // daemon's fields type-checked.
  const matrix = store.matrix
  if (!matrix.enabled || matrixProblems(matrix).length > 0) return daemons
  const serviceToken = (matrix.serviceToken ?? '').trim()
  return daemons.addDaemon('matrix-intake', {
    subcontainer: sdk.SubContainer.of(effects, { imageId: 'main' }, mounts, 'matrix-intake'),
    exec: {
      command: [entrypoint, 'python', '-m', 'backend.matrix_intake'],
      cwd: appDir,
      env: matrixEnv(matrix, store.llm),
    },
    ready: {
      display: 'Matrix intake bot',
      gracePeriod: 60_000,
      // The bot has no port of its own; check what it needs from the CRM: that its service
      // token is accepted (the same call the bot makes to read the grid's vocabulary).
      fn: async () => {
        try {
          const res = await fetch(`${crmUrl}${botCheckPath}`, {
            headers: { 'X-API-Key': serviceToken, Accept: 'application/json' },
            signal: AbortSignal.timeout(5_000),
          })
          if (res.ok) return { result: 'success', message: 'Running; the CRM accepts its service token' }
          if (res.status === 401 || res.status === 403) {
            return {
              result: 'failure',
              message: `The CRM refuses the bot's service token (${res.status}): make a new one in Settings -> Intake and enter it in Matrix Intake Bot`,
            }
          }
          return { result: 'failure', message: `The CRM answered ${res.status} to the bot's token check` }
        } catch {
          return { result: 'failure', message: 'The CRM is not answering the bot' }
        }
      },
    },
    requires: ['primary'],
  })
})
