import { chown, mkdir, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { gmailKeyJson, parseGmailKey } from '../fileModels/gmailKey.json'
import { sdk } from '../sdk'
import { makePrivate } from '../utils'

const { InputSpec, Value } = sdk

// A paste, not Value.file: on current StartOS the upload field sends {} and never validates
// (start-technologies issue #3585).
export const gmailKeyInputSpec = InputSpec.of({
  keyJson: Value.textarea({
    name: 'Service-account key (JSON)',
    description:
      'Paste the whole JSON key file Google Cloud downloaded for the service account with domain-wide delegation (it starts with { and holds "type": "service_account"). Submit the field empty to remove the stored key. The stored key is never shown again.',
    required: false,
    default: null,
    minRows: 8,
    maxRows: 16,
    placeholder: '{ "type": "service_account", "project_id": "...", "private_key": "-----BEGIN PRIVATE KEY-----...", "client_email": "...", "token_uri": "https://oauth2.googleapis.com/token", ... }',
  }),
})

/** The stored key's client_email, or a sentence saying why there is none. */
async function currentKey(read: () => Promise<string | null>): Promise<string> {
  try {
    const email = await read()
    return email ? `Current key: ${email}.` : 'No key is stored.'
  } catch {
    return 'A key file is stored but cannot be read as a service-account key: paste a new one.'
  }
}

export const setGmailKey = sdk.Action.withInput(
  'set-gmail-key',

  async ({ effects }) => ({
    name: 'Gmail Service-Account Key',
    description: `The Google service-account key Venture CRM uses to capture the team's Gmail (domain-wide delegation); the same key Settings -> Email takes. ${await currentKey(() => gmailKeyJson.read((k) => k.client_email).const(effects))}`,
    warning: null,
    allowedStatuses: 'any',
    group: 'Settings',
    visibility: 'enabled',
  }),

  gmailKeyInputSpec,

  // Never prefill: the private key must not travel back to the browser.
  async () => null,

  async ({ effects, input }) => {
    const text = (input.keyJson ?? '').trim()
    if (!text) {
      await rm(gmailKeyJson.path, { force: true })
      return {
        version: '1',
        title: 'Gmail key removed',
        message: 'No service-account key is stored: Gmail capture by delegation stops (mailboxes connected by OAuth keep syncing).',
        result: null,
      }
    }
    const parsed = parseGmailKey(text)
    if (!parsed.ok) throw new Error(parsed.error)
    const secrets = dirname(gmailKeyJson.path)
    await mkdir(secrets, { recursive: true, mode: 0o700 })
    await gmailKeyJson.write(effects, parsed.key)
    await makePrivate(gmailKeyJson.path)
    // The server reads the key as the owner of its data directory: hand the file to that owner.
    const owner = await stat(sdk.volumes.main.path)
    await chown(gmailKeyJson.path, owner.uid, owner.gid)
    return {
      version: '1',
      title: 'Gmail key saved',
      message: `Venture CRM now acts as ${parsed.key.client_email}. Add the mailboxes to capture in Settings -> Email.`,
      result: null,
    }
  },
)
