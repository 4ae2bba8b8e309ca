import type { SmtpSelection, T } from '@start9labs/start-sdk'
import { sdk } from './sdk'

/** The SMTP_* variables the CRM reads (backend/config.py); a missing SMTP_HOST means mail is off. */
export type SmtpEnv = {
  SMTP_HOST?: string
  SMTP_PORT?: string
  SMTP_SECURITY?: 'tls' | 'starttls'
  SMTP_USERNAME?: string
  SMTP_PASSWORD?: string
  SMTP_FROM?: string
}

const defaultPort = { tls: '465', starttls: '587' } as const

/**
 * Map the stored Manage SMTP selection (and, for "system", the OS's SMTP account) to the
 * daemon's SMTP_* variables. Pure: the checks in test/ run it with every selection.
 *
 * - disabled, or system while the OS has no SMTP account: no variable at all (mail off).
 * - system: the OS account; SMTP_FROM is the action's custom From address when one is given.
 * - custom: the provider form's host, port, security, username, password and From address.
 * An empty username or password is left out (the CRM then sends without AUTH / with an empty
 * password, its defaults), so the environment never carries empty strings.
 */
export function smtpEnvFor(selection: SmtpSelection, system: T.SmtpValue | null): SmtpEnv {
  if (selection.selection === 'disabled') return {}
  if (selection.selection === 'system') {
    if (!system) return {}
    const from = selection.value.customFrom?.trim() || system.from
    return compact({
      SMTP_HOST: system.host,
      SMTP_PORT: String(system.port),
      SMTP_SECURITY: system.security,
      SMTP_USERNAME: system.username,
      SMTP_PASSWORD: system.password ?? '',
      SMTP_FROM: from,
    })
  }
  const provider = selection.value.provider.value
  const security = provider.security.selection
  return compact({
    SMTP_HOST: provider.host,
    SMTP_PORT: provider.security.value.port?.trim() || defaultPort[security],
    SMTP_SECURITY: security,
    SMTP_USERNAME: provider.username,
    SMTP_PASSWORD: provider.password ?? '',
    SMTP_FROM: provider.from,
  })
}

function compact(env: Required<SmtpEnv>): SmtpEnv {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    const kept = name === 'SMTP_PASSWORD' ? value : value.trim()
    if (kept !== '') out[name] = kept
  }
  return out as SmtpEnv
}

/**
 * The daemon's SMTP_* variables. Reads the OS SMTP account with `.const()` only for the
 * "system" selection, so main restarts when that account changes and not otherwise.
 */
export async function smtpEnv(effects: T.Effects, selection: SmtpSelection): Promise<SmtpEnv> {
  const system = selection.selection === 'system' ? await sdk.getSystemSmtp(effects).const() : null
  return smtpEnvFor(selection, system)
}
