import type { LlmSettings, MatrixSettings } from './fileModels/store.json'
import type { SmtpEnv } from './smtpEnv'
import { dataDir, intakeStateDir, uiPort } from './utils'

/** An environment for a daemon: only names with a value (an unset one keeps the app's default). */
export type Env = Record<string, string>

/**
 * The model server's base URL as the CRM wants it: trimmed, no trailing slash and no trailing
 * /v1 (the CRM appends /v1/chat/completions itself); null when empty.
 */
export function normalizeBaseUrl(url: string | null | undefined): string | null {
  const trimmed = (url ?? '').trim().replace(/\/+$/, '')
  const base = trimmed.replace(/\/v1$/, '')
  return base || null
}

/**
 * CRM_LLM_* (and CRM_EMBEDDING_MODEL) from Set LLM Endpoint. An unset field is left out, so
 * the CRM's defaults hold: no base URL, every feature uses its deterministic fallback; no
 * model, `local`; no embedding model, `local-embedding`; no key, no Authorization header.
 */
export function llmEnv(llm: LlmSettings): Env {
  const env: Env = {}
  const baseUrl = normalizeBaseUrl(llm.baseUrl)
  const model = llm.model?.trim()
  const embeddingModel = llm.embeddingModel?.trim()
  const apiKey = llm.apiKey?.trim()
  if (baseUrl) env.CRM_LLM_BASE_URL = baseUrl
  if (model) env.CRM_LLM_MODEL = model
  if (embeddingModel) env.CRM_EMBEDDING_MODEL = embeddingModel
  if (apiKey) env.CRM_LLM_API_KEY = apiKey
  return env
}

/** The web server's environment (backend/config.py reads every name). */
export function primaryEnv(secretKey: string, smtp: SmtpEnv, llm: LlmSettings): Env {
  return {
    CRM_ENV: 'production',
    CRM_HOST: '0.0.0.0',
    CRM_PORT: String(uiPort),
    CRM_DATA_DIR: dataDir,
    CRM_SECRET_KEY: secretKey,
    ...smtp,
    ...llmEnv(llm),
  }
}

/**
 * What is missing before the Matrix bot can start, in the words of its settings form; empty
 * when it can. Mirrors backend/matrix_intake/config.py, which refuses to start without these.
 */
export function matrixProblems(m: MatrixSettings): string[] {
  const problems: string[] = []
  if (!m.homeserverUrl?.trim()) problems.push('the homeserver URL')
  if (!m.userId?.trim()) problems.push("the bot's user id")
  if (!m.roomId?.trim()) problems.push('the room')
  if (!m.password && !m.accessToken?.trim()) problems.push('a password or an access token')
  if (!m.serviceToken?.trim()) problems.push('the CRM service token (Settings -> Intake)')
  return problems
}

/** The Matrix bot's environment (backend/matrix_intake/config.py reads every name). */
export function matrixEnv(m: MatrixSettings, llm: LlmSettings): Env {
  const env: Env = {
    CRM_URL: `http://127.0.0.1:${uiPort}`,
    INTAKE_STATE_DIR: intakeStateDir,
    MATRIX_HOMESERVER_URL: (m.homeserverUrl ?? '').trim(),
    MATRIX_USER_ID: (m.userId ?? '').trim(),
    MATRIX_ROOM_ID: (m.roomId ?? '').trim(),
    CRM_SERVICE_TOKEN: (m.serviceToken ?? '').trim(),
    ...llmEnv(llm),
  }
  if (m.password) env.MATRIX_PASSWORD = m.password
  if (m.accessToken?.trim()) env.MATRIX_ACCESS_TOKEN = m.accessToken.trim()
  const senders = (m.allowedSenders ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (senders.length) env.MATRIX_ALLOWED_SENDERS = senders.join(',')
  return env
}
