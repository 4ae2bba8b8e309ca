/**
 * What StartOS loads from javascript/index.js. The T.ABI object below makes tsc fail when an
 * export is missing or has the wrong type.
 */
import { buildManifest, type T } from '@start9labs/start-sdk'
import { actions } from './actions'
import { createBackup } from './backups'
import { init, uninit } from './init'
import { main } from './main'
import { manifest as sdkManifest } from './manifest'
import { versionGraph } from './versions'

export const manifest = buildManifest(versionGraph, sdkManifest)

export { actions, createBackup, init, main, uninit }

const abi: T.ABI = { actions, createBackup, init, main, manifest, uninit }
void abi
