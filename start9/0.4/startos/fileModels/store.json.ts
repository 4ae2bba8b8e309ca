import { FileHelper, smtpShape, z, type T } from '@start9labs/start-sdk'
import { sdk } from '../sdk'
import { makePrivate } from '../utils'

/** The box's own model server (CRM_LLM_*); null means "not set": the CRM's default applies. */
export const llmShape = z.object({
  baseUrl: z.string().nullable().catch(null),
  model: z.string().nullable().catch(null),
  embeddingModel: z.string().nullable().catch(null),
  apiKey: z.string().nullable().catch(null),
})

/** The Matrix intake bot's settings (MATRIX_*, CRM_SERVICE_TOKEN); the bot runs only when enabled. */
export const matrixShape = z.object({
  enabled: z.boolean().catch(false),
  homeserverUrl: z.string().nullable().catch(null),
  userId: z.string().nullable().catch(null),
  roomId: z.string().nullable().catch(null),
  password: z.string().nullable().catch(null),
  accessToken: z.string().nullable().catch(null),
  allowedSenders: z.string().nullable().catch(null),
  serviceToken: z.string().nullable().catch(null),
})

export const defaultLlm: z.infer<typeof llmShape> = {
  baseUrl: null,
  model: null,
  embeddingModel: null,
  apiKey: null,
}

export const defaultMatrix: z.infer<typeof matrixShape> = {
  enabled: false,
  homeserverUrl: null,
  userId: null,
  roomId: null,
  password: null,
  accessToken: null,
  allowedSenders: null,
  serviceToken: null,
}

/**
 * store.json on the volume: what the actions set and main passes to the daemons. Every field
 * has a fallback, so a file from an older version reads with defaults (init then writes them).
 * secretKey: '' means "not seeded yet"; init seeds it.
 */
export const storeShape = z.object({
  secretKey: z.string().catch(''),
  smtp: smtpShape,
  llm: llmShape.catch(defaultLlm),
  matrix: matrixShape.catch(defaultMatrix),
})

export type Store = z.infer<typeof storeShape>
export type LlmSettings = z.infer<typeof llmShape>
export type MatrixSettings = z.infer<typeof matrixShape>

export const storeJson = FileHelper.json({ base: sdk.volumes.main, subpath: 'store.json' }, storeShape)

/**
 * Replace store.json (write, not merge: merge is deep and would keep a previous SMTP branch's
 * credentials) and keep it private: it holds the secret key and passwords.
 */
export async function saveStore(effects: T.Effects, store: Store): Promise<void> {
  await storeJson.write(effects, store)
  await makePrivate(storeJson.path)
}
