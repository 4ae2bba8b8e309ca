import { sdk } from '../sdk'
import { appDir, dataDir, mounts } from '../utils'

export const backupCommand = ['python', '-m', 'backend.backups', 'create', '--data-dir', dataDir]

export const backupNow = sdk.Action.withoutInput(
  'backup-now',

  async () => ({
    name: 'Create Backup Now',
    description:
      "Take one of the CRM's own backups now (the same as Create backup in Settings -> Backups): a consistent snapshot of the database in backups/ on the data volume, listed and restorable in the CRM. The next StartOS backup copies it with the rest of the volume.",
    warning: null,
    allowedStatuses: 'any',
    group: 'Maintenance',
    visibility: 'enabled',
  }),

  async ({ effects }) => {
    // execFail throws (with the command's stderr) on a non-zero exit; the snapshot is online,
    // so the CRM may keep running. 120 s covers a large database.
    const out = await sdk.SubContainer.withTemp(effects, { imageId: 'main' }, mounts, 'backup-now', (sub) =>
      sub.execFail(backupCommand, { cwd: appDir, env: { CRM_DATA_DIR: dataDir } }, 120_000),
    )
    const file = out.stdout.toString().trim()
    return {
      version: '1',
      title: 'Backup created',
      message: file ? `Saved backups/${file} on the data volume.` : 'The backup was created.',
      result: null,
    }
  },
)
