import { sdk } from '../sdk'
import { backupNow } from './backupNow'
import { manageSmtp } from './manageSmtp'
import { matrixBot } from './matrixBot'
import { resetAdminPassword } from './resetAdminPassword'
import { setGmailKey } from './setGmailKey'
import { setLlm } from './setLlm'

export const actions = sdk.Actions.of()
  .addAction(manageSmtp)
  .addAction(setLlm)
  .addAction(setGmailKey)
  .addAction(matrixBot)
  .addAction(resetAdminPassword)
  .addAction(backupNow)
