import { FileHelper, z } from '@start9labs/start-sdk'
import { sdk } from '../sdk'
import { gmailKeySubpath } from '../utils'

/**
 * A Google service-account key, checked as the CRM checks it before use
 * (backend/email_integration/gmail.py validate_service_account_key): the fields below must be
 * there; every other field of Google's key file is kept as it is.
 */
export const gmailKeyShape = z.object({
  type: z.literal('service_account'),
  client_email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'client_email must be an email address'),
  private_key: z.string().includes('PRIVATE KEY', { message: 'private_key must be a PEM private key' }),
  token_uri: z.string().regex(/^https?:\/\//, 'token_uri must be an http(s) URL'),
  project_id: z.string().optional(),
})

export type GmailKey = z.infer<typeof gmailKeyShape>

/** `/data/secrets/gmail-service-account.json` inside the container: where the server looks. */
export const gmailKeyJson = FileHelper.json({ base: sdk.volumes.main, subpath: gmailKeySubpath }, gmailKeyShape)

/**
 * Read pasted key text: the key, or a sentence naming what is wrong with it. Pure, so the
 * checks in test/ can run it without a box.
 */
export function parseGmailKey(text: string): { ok: true; key: GmailKey } | { ok: false; error: string } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return { ok: false, error: `The key is not JSON (${e instanceof Error ? e.message : String(e)}). Paste the whole file Google Cloud downloaded.` }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'The key must be the JSON object Google Cloud downloads (it starts with {).' }
  }
  const parsed = gmailKeyShape.loose().safeParse(json)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'key'}: ${i.message}`)
    return { ok: false, error: `This is not a usable service-account key: ${problems.join('; ')}` }
  }
  return { ok: true, key: parsed.data }
}
