import { setupManifest } from '@start9labs/start-sdk'

// The repository has no public home yet: set this to its URL before publishing to a registry
// (sideloading does not need it).
const repo = 'https://example.com/venture-crm'

// s9pk.mk reads the package id with awk from the one line here holding "id" and a colon: keep it the only one.
export const manifest = setupManifest({
  id: 'venture-crm',
  title: 'Venture CRM',
  license: 'MIT',
  packageRepo: `${repo}/tree/main/start9/0.4`,
  upstreamRepo: repo,
  marketingUrl: repo,
  donationUrl: null,
  description: {
    short: 'A self-hosted fundraising CRM for a venture fund',
    long: 'Venture CRM keeps a fund\'s investors, funds and pipeline in one shared grid on your own box: saved views, formulas, automations, Gmail capture of the team\'s investor mail, a daily digest to the team, an optional Matrix bot for logging notes from chat, and backups of one SQLite file. Nothing is ever sent to an investor automatically.',
  },
  // One volume, mounted at /data in the container (CRM_DATA_DIR): the database, secrets, mail
  // attachments, the app's own backups and the Matrix bot's state all live there.
  volumes: ['main'],
  images: {
    main: {
      // start-cli runs `docker build <workdir> -f <dockerfile>` from this directory (start9/0.4),
      // so both paths point at the repository root, whose Dockerfile builds on python:3.11-slim.
      source: { dockerBuild: { workdir: '../..', dockerfile: '../../Dockerfile' } },
      arch: ['x86_64', 'aarch64'],
    },
  },
  dependencies: {},
})
