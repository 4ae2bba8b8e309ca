import { sdk } from '../sdk'
import { appDir, dataDir, mounts, randomSecret } from '../utils'

const { InputSpec, Value } = sdk

export const resetInputSpec = InputSpec.of({
  username: Value.text({
    name: 'Admin username',
    description: 'The admin whose password to reset. Empty: the first active admin.',
    required: false,
    default: null,
  }),
})

/** The command the image runs: backend/manage.py reads the new password from stdin. */
export function resetCommand(username: string | null | undefined): string[] {
  const name = (username ?? '').trim()
  return ['python', '-m', 'backend.manage', 'reset-admin-password', ...(name ? ['--username', name] : [])]
}

export const resetAdminPassword = sdk.Action.withInput(
  'reset-admin-password',

  async () => ({
    name: 'Reset Admin Password',
    description:
      "Give an admin a new random password, for when no admin can sign in. Their sessions are signed out; they sign in with the password shown and can change it under their account. (Admins reset other people's passwords in Admin -> Users.)",
    warning: 'The admin is signed out everywhere and their old password stops working.',
    allowedStatuses: 'any',
    group: 'Maintenance',
    visibility: 'enabled',
  }),

  resetInputSpec,

  async () => null,

  async ({ effects, input }) => {
    const password = randomSecret(24)
    const res = await sdk.SubContainer.withTemp(effects, { imageId: 'main' }, mounts, 'reset-admin-password', (sub) =>
      sub.exec(resetCommand(input.username), { cwd: appDir, env: { CRM_DATA_DIR: dataDir }, input: `${password}\n` }, 60_000),
    )
    if (res.exitCode !== 0) {
      const why = res.stderr.toString().trim() || res.stdout.toString().trim() || `exit code ${String(res.exitCode)}`
      throw new Error(`The password was not reset: ${why}`)
    }
    return {
      version: '1',
      title: 'Admin password reset',
      message: res.stdout.toString().trim() || 'The password was reset.',
      result: { type: 'single', value: password, copyable: true, qr: false, masked: true },
    }
  },
)
