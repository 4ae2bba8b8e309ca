import { sdk } from './sdk'

// No other service is required: the database is a file on the volume, and the model server
// (Set LLM Endpoint) and Matrix homeserver are reached by URL when configured.
export const setDependencies = sdk.setupDependencies(async () => ({}))
