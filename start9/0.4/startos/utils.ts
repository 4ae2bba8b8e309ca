import { randomInt } from 'node:crypto'
import { chmod } from 'node:fs/promises'
import { sdk } from './sdk'

/** The CRM's HTTP port inside the container (CRM_PORT), bound for LAN and Tailscale. */
export const uiPort = 8080

/** The CRM's readiness route: 200 once migrations have run and the database answers. */
export const readyPath = '/api/ready'

/** Where the `main` volume is mounted in every subcontainer: the CRM's CRM_DATA_DIR. */
export const dataDir = '/data'

/** The image's working directory: `python -m backend...` runs from here. */
export const appDir = '/app'

/** The image's user (the Dockerfile's USER): the daemons and the actions' commands run as it. */
export const appUser = 'crm'

/** The image's entrypoint: prepares /data, then execs its arguments (see deploy/entrypoint.sh). */
export const entrypoint = '/app/deploy/entrypoint.sh'

/** The Matrix bot's own state (its SQLite file), inside the volume. */
export const intakeStateDir = `${dataDir}/matrix_intake`

/** The service-account key, relative to the volume; the server reads `<data dir>/secrets/...`. */
export const gmailKeySubpath = 'secrets/gmail-service-account.json'

export const mounts = sdk.Mounts.of().mountVolume({
  volumeId: 'main',
  subpath: null,
  mountpoint: dataDir,
  readonly: false,
})

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** A random string from crypto.randomInt (no modulo bias), for secrets and passwords. */
export function randomSecret(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)]
  return out
}

/** FileHelper writes with the default mode: keep files holding secrets private (0600). */
export async function makePrivate(path: string): Promise<void> {
  await chmod(path, 0o600)
}
