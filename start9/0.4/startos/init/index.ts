import { actions } from '../actions'
import { restoreInit } from '../backups'
import { setDependencies } from '../dependencies'
import { setInterfaces } from '../interfaces'
import { sdk } from '../sdk'
import { versionGraph } from '../versions'
import { seedFiles } from './seedFiles'

// In this order (the SDK's own): a restore puts the volume back first, versions migrate, the
// interfaces, dependencies and actions are exported, and last store.json is seeded and the
// Manage SMTP task created for the action just exported. Main starts after init.
export const init = sdk.setupInit(restoreInit, versionGraph, setInterfaces, setDependencies, actions, seedFiles)

export const uninit = sdk.setupUninit(versionGraph)
