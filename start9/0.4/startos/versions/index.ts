import { VersionGraph } from '@start9labs/start-sdk'
import { v1_0_0_0 } from './v1.0.0_0'

// A new version: add a file like v1.0.0_0.ts, make it `current`, and move the old one to `other`.
export const versionGraph = VersionGraph.of({ current: v1_0_0_0, other: [] })
