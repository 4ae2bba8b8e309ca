// The daemons' other variables (LLM, Matrix bot), the form rules behind them, the Gmail key
// check and the commands the actions run. Prints `ENV <name> <json>` lines that
// tests/test_startos_package.py feeds to the CRM's own settings readers.
import { backupCommand } from '../startos/actions/backupNow'
import { matrixFromInput, matrixInputProblems, matrixInputSpec } from '../startos/actions/matrixBot'
import { resetCommand } from '../startos/actions/resetAdminPassword'
import { llmInputProblems } from '../startos/actions/setLlm'
import { llmEnv, matrixEnv, matrixProblems, normalizeBaseUrl, primaryEnv } from '../startos/env'
import { parseGmailKey } from '../startos/fileModels/gmailKey.json'
import { defaultLlm, defaultMatrix, storeShape } from '../startos/fileModels/store.json'
import { manifest } from '../startos/index'
import { botCheckPath } from '../startos/main'
import { appDir, appUser, dataDir, entrypoint, gmailKeySubpath, mounts, readyPath, uiPort } from '../startos/utils'
import { done, expectEqual } from './check'

// --- LLM -----------------------------------------------------------------------------------
expectEqual('LLM unset -> no CRM_LLM_* at all (the CRM defaults apply)', llmEnv(defaultLlm), {})
expectEqual('LLM URL only -> CRM_LLM_BASE_URL only (model stays the default "local")', llmEnv({ ...defaultLlm, baseUrl: 'http://10.0.0.5:8000' }), {
  CRM_LLM_BASE_URL: 'http://10.0.0.5:8000',
})
expectEqual(
  'LLM everything -> all four',
  llmEnv({ baseUrl: ' http://spark.local:8000/ ', model: 'qwen3', embeddingModel: 'bge-m3', apiKey: ' k-123 ' }),
  { CRM_LLM_BASE_URL: 'http://spark.local:8000', CRM_LLM_MODEL: 'qwen3', CRM_EMBEDDING_MODEL: 'bge-m3', CRM_LLM_API_KEY: 'k-123' },
)
expectEqual('LLM blank strings -> left out', llmEnv({ baseUrl: '  ', model: '', embeddingModel: ' ', apiKey: '' }), {})
expectEqual('base URL: trailing /v1 and slashes dropped', normalizeBaseUrl('http://h:8000/v1/'), 'http://h:8000')
expectEqual('base URL: a path is kept', normalizeBaseUrl('https://h.example/llm'), 'https://h.example/llm')
expectEqual('base URL: empty -> null', normalizeBaseUrl('   '), null)

// --- the web server ------------------------------------------------------------------------
const secret = 'S'.repeat(48)
const primary = primaryEnv(secret, { SMTP_HOST: 'smtp.gmail.com', SMTP_PORT: '465', SMTP_SECURITY: 'tls', SMTP_FROM: 'a@b.example' }, {
  ...defaultLlm,
  baseUrl: 'http://10.0.0.5:8000',
})
expectEqual('primary env -> production on 0.0.0.0:8080 with /data, the key, SMTP and LLM', primary, {
  CRM_ENV: 'production',
  CRM_HOST: '0.0.0.0',
  CRM_PORT: '8080',
  CRM_DATA_DIR: '/data',
  CRM_SECRET_KEY: secret,
  SMTP_HOST: 'smtp.gmail.com',
  SMTP_PORT: '465',
  SMTP_SECURITY: 'tls',
  SMTP_FROM: 'a@b.example',
  CRM_LLM_BASE_URL: 'http://10.0.0.5:8000',
})
console.log(`ENV primary ${JSON.stringify(primary)}`)

// --- the Matrix bot ------------------------------------------------------------------------
const form = {
  enabled: true,
  homeserverUrl: ' https://matrix.example.org ',
  userId: '@intake:example.org',
  roomId: '#deal-notes:example.org',
  password: 'bot pass ',
  accessToken: null,
  allowedSenders: '@ana:example.org,  @ben:example.org ',
  serviceToken: ' vcrm_abc123 ',
}
expectEqual('bot form is accepted by its own validator', matrixInputSpec.validator.safeParse(form).success, true)
expectEqual('bot form passes the run checks', matrixInputProblems(form), [])
const bot = matrixFromInput(form)
expectEqual('bot settings complete -> no problems', matrixProblems(bot), [])
const botEnv = matrixEnv(bot, { ...defaultLlm, baseUrl: 'http://10.0.0.5:8000', model: 'qwen3' })
expectEqual('bot env -> CRM_URL on loopback, its state dir, MATRIX_*, token, LLM', botEnv, {
  CRM_URL: 'http://127.0.0.1:8080',
  INTAKE_STATE_DIR: '/data/matrix_intake',
  MATRIX_HOMESERVER_URL: 'https://matrix.example.org',
  MATRIX_USER_ID: '@intake:example.org',
  MATRIX_ROOM_ID: '#deal-notes:example.org',
  CRM_SERVICE_TOKEN: 'vcrm_abc123',
  CRM_LLM_BASE_URL: 'http://10.0.0.5:8000',
  CRM_LLM_MODEL: 'qwen3',
  MATRIX_PASSWORD: 'bot pass ',
  MATRIX_ALLOWED_SENDERS: '@ana:example.org,@ben:example.org',
})
console.log(`ENV matrix ${JSON.stringify(botEnv)}`)
const tokenBot = matrixFromInput({ ...form, password: null, accessToken: 'syt_token', allowedSenders: null, roomId: '!room123:example.org' })
const tokenEnv = matrixEnv(tokenBot, defaultLlm)
expectEqual('bot with an access token -> MATRIX_ACCESS_TOKEN, no password, no sender list', [tokenEnv.MATRIX_ACCESS_TOKEN, tokenEnv.MATRIX_PASSWORD, tokenEnv.MATRIX_ALLOWED_SENDERS], ['syt_token', undefined, undefined])
console.log(`ENV matrix-token ${JSON.stringify(tokenEnv)}`)
expectEqual('bot settings empty -> every missing one named', matrixProblems(defaultMatrix), [
  'the homeserver URL',
  "the bot's user id",
  'the room',
  'a password or an access token',
  'the CRM service token (Settings -> Intake)',
])
const refused = (patch: Partial<typeof form>) => matrixInputProblems({ ...form, ...patch }).length > 0
expectEqual('bot form refuses a user id without a server', refused({ userId: 'intake' }), true)
expectEqual('bot form refuses a room that is neither !id nor #alias:server', refused({ roomId: 'deal-notes' }), true)
expectEqual('bot form refuses a sender list with a bare name', refused({ allowedSenders: '@ana:example.org, ben' }), true)
expectEqual('bot form refuses a homeserver that is not http(s)', refused({ homeserverUrl: 'matrix.example.org' }), true)
expectEqual('bot form refuses something that is not a CRM service token', refused({ serviceToken: 'hunter2' }), true)
const empty = { ...form, homeserverUrl: null, userId: null, roomId: null, password: null, allowedSenders: null, serviceToken: null }
expectEqual('bot form: off, everything else may be empty', matrixInputProblems({ ...empty, enabled: false }), [])
expectEqual('bot form: on and empty -> one sentence naming what is missing', matrixInputProblems(empty), [
  "The bot cannot start without the homeserver URL, the bot's user id, the room, a password or an access token, the CRM service token (Settings -> Intake)",
])
expectEqual('bot form: a bad value is named with its rule', matrixInputProblems({ ...form, userId: 'intake' }), ['Bot user id: A full Matrix user id like @intake:example.org'])

// --- LLM form ------------------------------------------------------------------------------
const llmOk = (baseUrl: string) => llmInputProblems({ baseUrl, model: null, embeddingModel: null, apiKey: null }).length === 0
expectEqual('LLM form takes a LAN address, a bare host and localhost', [llmOk('http://192.168.1.20:8000'), llmOk('http://spark:8000'), llmOk('http://localhost:11434')], [true, true, true])
expectEqual('LLM form refuses a URL without http(s)://', llmOk('192.168.1.20:8000'), false)

// --- store.json ----------------------------------------------------------------------------
expectEqual('an old store.json without llm/matrix reads with their defaults', storeShape.parse({ secretKey: secret, smtp: { selection: 'disabled', value: {} } }), {
  secretKey: secret,
  smtp: { selection: 'disabled', value: {} },
  llm: defaultLlm,
  matrix: defaultMatrix,
})

// --- the Gmail key -------------------------------------------------------------------------
const key = {
  type: 'service_account',
  project_id: 'fund-crm',
  private_key_id: 'abc',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n',
  client_email: 'crm@fund-crm.iam.gserviceaccount.com',
  client_id: '123',
  token_uri: 'https://oauth2.googleapis.com/token',
  universe_domain: 'googleapis.com',
}
const good = parseGmailKey(JSON.stringify(key))
expectEqual('Gmail key: a Google key file is accepted whole (extra fields kept)', good.ok ? good.key : good.error, key)
const bad = (text: string) => {
  const r = parseGmailKey(text)
  return r.ok ? 'accepted' : r.error
}
expectEqual('Gmail key: not JSON -> says so', bad('{"type": "service_account",').startsWith('The key is not JSON'), true)
expectEqual('Gmail key: an array -> refused', bad('[]').startsWith('The key must be the JSON object'), true)
expectEqual('Gmail key: an OAuth client file -> names type', bad(JSON.stringify({ ...key, type: 'authorized_user' })).includes('type'), true)
const { private_key: _drop, ...noPrivateKey } = key
void _drop
expectEqual('Gmail key: no private_key -> names private_key', bad(JSON.stringify(noPrivateKey)).includes('private_key'), true)
expectEqual('Gmail key: token_uri not http(s) -> names token_uri', bad(JSON.stringify({ ...key, token_uri: 'oauth2' })).includes('token_uri'), true)

// --- commands ------------------------------------------------------------------------------
expectEqual('reset: default admin', resetCommand(null), ['python', '-m', 'backend.manage', 'reset-admin-password'])
expectEqual('reset: a named admin', resetCommand(' grace '), ['python', '-m', 'backend.manage', 'reset-admin-password', '--username', 'grace'])
expectEqual('backup now', backupCommand, ['python', '-m', 'backend.backups', 'create', '--data-dir', '/data'])

// --- what the package assumes about the image and the server (checked against them in Python)
console.log(
  `ENV package ${JSON.stringify({
    id: manifest.id,
    version: manifest.version,
    volumes: manifest.volumes,
    images: manifest.images,
    mounts: mounts.build(),
    uiPort,
    dataDir,
    appDir,
    appUser,
    entrypoint,
    readyPath,
    botCheckPath,
    gmailKeySubpath,
    resetCommand: resetCommand(null),
    backupCommand,
  })}`,
)

done()
