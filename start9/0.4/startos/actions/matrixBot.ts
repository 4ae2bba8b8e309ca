import { matrixProblems } from '../env'
import { saveStore, storeJson, type MatrixSettings } from '../fileModels/store.json'
import { sdk } from '../sdk'
import { httpUrl, matrixRoom, matrixUserId, matrixUserList, patternProblems, serviceToken } from './patterns'

const { InputSpec, Value } = sdk

export const matrixInputSpec = InputSpec.of({
  enabled: Value.toggle({
    name: 'Run the bot',
    description: 'On: the bot runs as a second daemon next to the CRM. Off: it stops; the settings below are kept.',
    default: false,
  }),
  homeserverUrl: Value.text({
    name: 'Homeserver URL',
    description: "The bot account's Matrix homeserver (MATRIX_HOMESERVER_URL).",
    required: false,
    default: null,
    placeholder: 'https://matrix.example.org',
    patterns: [httpUrl],
  }),
  userId: Value.text({
    name: 'Bot user id',
    description: 'The Matrix account the bot signs in as (MATRIX_USER_ID).',
    required: false,
    default: null,
    placeholder: '@intake:example.org',
    patterns: [matrixUserId],
  }),
  roomId: Value.text({
    name: 'Room',
    description: 'The room the bot listens in: its id or an alias (MATRIX_ROOM_ID). Invite the bot there.',
    required: false,
    default: null,
    placeholder: '#deal-notes:example.org',
    patterns: [matrixRoom],
  }),
  password: Value.text({
    name: 'Bot password',
    description: "The bot account's password (MATRIX_PASSWORD). Give this or an access token.",
    required: false,
    default: null,
    masked: true,
  }),
  accessToken: Value.text({
    name: 'Access token',
    description: 'Instead of a password: an access token for the bot account (MATRIX_ACCESS_TOKEN).',
    required: false,
    default: null,
    masked: true,
  }),
  allowedSenders: Value.text({
    name: 'Allowed senders',
    description: 'Optional: only these Matrix users may log notes, separated by commas (MATRIX_ALLOWED_SENDERS). Empty: everyone in the room.',
    required: false,
    default: null,
    placeholder: '@ana:example.org, @ben:example.org',
    patterns: [matrixUserList],
  }),
  serviceToken: Value.text({
    name: 'CRM service token',
    description: "The bot's token into the CRM (CRM_SERVICE_TOKEN): an admin makes it in the CRM at Settings -> Intake -> Create the bot's token, which shows it once.",
    required: false,
    default: null,
    masked: true,
    patterns: [serviceToken],
  }),
})

type MatrixInput = typeof matrixInputSpec._TYPE

/** Form input -> stored settings: trimmed, empty fields as null. */
export function matrixFromInput(input: MatrixInput): MatrixSettings {
  const text = (v: string | null | undefined) => v?.trim() || null
  return {
    enabled: input.enabled,
    homeserverUrl: text(input.homeserverUrl),
    userId: text(input.userId),
    roomId: text(input.roomId),
    password: input.password || null,
    accessToken: text(input.accessToken),
    allowedSenders: text(input.allowedSenders),
    serviceToken: text(input.serviceToken),
  }
}

/** Why these settings cannot be saved (empty when they can): bad values, then, when the bot is
 * to run, what it cannot start without. */
export function matrixInputProblems(input: MatrixInput): string[] {
  const bad = patternProblems([
    ['Homeserver URL', input.homeserverUrl, httpUrl],
    ['Bot user id', input.userId, matrixUserId],
    ['Room', input.roomId, matrixRoom],
    ['Allowed senders', input.allowedSenders, matrixUserList],
    ['CRM service token', input.serviceToken, serviceToken],
  ])
  if (bad.length || !input.enabled) return bad
  const missing = matrixProblems(matrixFromInput(input))
  return missing.length ? [`The bot cannot start without ${missing.join(', ')}`] : []
}

export const matrixBot = sdk.Action.withInput(
  'matrix-intake-bot',

  async ({ effects }) => {
    const on = await storeJson.read((s) => s.matrix.enabled).const(effects)
    return {
      name: 'Matrix Intake Bot',
      description: `Log investor notes from a Matrix room: the bot reads each note, proposes the CRM change and applies it when someone answers yes. It is ${on ? 'on' : 'off'}.`,
      warning: null,
      allowedStatuses: 'any',
      group: 'Settings',
      visibility: 'enabled',
    }
  },

  matrixInputSpec,

  async () => {
    const m = await storeJson.read((s) => s.matrix).once()
    return m ?? {}
  },

  async ({ effects, input }) => {
    const store = await storeJson.read().once()
    if (!store) throw new Error('store.json is missing from the volume: restart the service to seed it')
    const problems = matrixInputProblems(input)
    if (problems.length) throw new Error(`${problems.join('. ')}.`)
    const matrix = matrixFromInput(input)
    await saveStore(effects, { ...store, matrix })
    return {
      version: '1',
      title: matrix.enabled ? 'Matrix bot on' : 'Matrix bot off',
      message: matrix.enabled
        ? `The bot starts once the CRM is ready and listens in ${matrix.roomId ?? 'the room'}; its health check shows whether the CRM accepts its token.`
        : 'The bot is stopped; its settings are kept for next time.',
      result: null,
    }
  },
)
