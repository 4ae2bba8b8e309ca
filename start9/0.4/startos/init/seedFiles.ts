import { readFile } from 'node:fs/promises'
import { manageSmtp } from '../actions/manageSmtp'
import { defaultLlm, defaultMatrix, saveStore, storeJson } from '../fileModels/store.json'
import { sdk } from '../sdk'
import { makePrivate, randomSecret } from '../utils'

/**
 * store.json before main runs: on install, a new random CRM secret key and the defaults (mail
 * off, no model, bot off) plus an optional task pointing at Manage SMTP; on update, restore and
 * boot, the file rewritten with defaults for any field it lacks. The key is only ever made when
 * none is stored (a new one signs everyone out).
 */
export const seedFiles = sdk.setupOnInit(async (effects, kind) => {
  const stored = await storeJson.read().once()
  const secretKey = stored && stored.secretKey.length >= 32 ? stored.secretKey : randomSecret(48)
  const next = {
    ...stored,
    secretKey,
    smtp: stored?.smtp ?? { selection: 'disabled' as const, value: {} },
    llm: stored?.llm ?? defaultLlm,
    matrix: stored?.matrix ?? defaultMatrix,
  }
  const raw = await readFile(storeJson.path, 'utf-8').catch(() => null)
  if (raw === null || raw !== storeJson.writeData(next)) await saveStore(effects, next)
  else await makePrivate(storeJson.path)
  if (kind === 'install') {
    await sdk.action.createOwnTask(effects, manageSmtp, 'optional', {
      reason: 'Set up outbound mail so Venture CRM can email invite links and the daily digest to the team',
    })
  }
})
