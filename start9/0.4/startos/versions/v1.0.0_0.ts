import { IMPOSSIBLE, VersionInfo } from '@start9labs/start-sdk'

export const v1_0_0_0 = VersionInfo.of({
  version: '1.0.0:0',
  releaseNotes: [
    'First StartOS 0.4 release of Venture CRM.',
    '- The web interface on port 8080 for LAN and Tailscale, with a readiness check on /api/ready.',
    '- Actions: Manage SMTP (off, the system account or your own), Set LLM Endpoint, Gmail Service-Account Key, Reset Admin Password, Create Backup Now and Matrix Intake Bot.',
    '- The optional Matrix intake bot runs as a second daemon once enabled.',
    '- StartOS backups copy the whole data volume.',
  ].join('\n'),
  migrations: {
    // The CRM migrates its own database at start-up; this version has nothing to convert.
    up: async () => {},
    // There is no older StartOS 0.4 package of this service to go back to.
    down: IMPOSSIBLE,
  },
})
