import { sdk } from './sdk'

// A StartOS backup copies the whole `main` volume: the database (with its WAL), secrets, mail
// attachments, the CRM's own backups in backups/ and store.json. Restoring puts it all back.
export const { createBackup, restoreInit } = sdk.setupBackups(async () => sdk.Backups.ofVolumes('main'))
