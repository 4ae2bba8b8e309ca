import { smtpPrefill } from '@start9labs/start-sdk'
import { saveStore, storeJson } from '../fileModels/store.json'
import { sdk } from '../sdk'

const { InputSpec } = sdk

export const smtpInputSpec = InputSpec.of({ smtp: sdk.inputSpecConstants.smtpInputSpec })

export const manageSmtp = sdk.Action.withInput(
  'manage-smtp',

  async () => ({
    name: 'Manage SMTP',
    description:
      "How Venture CRM sends its own mail to the team (invite links and the daily digest; never to investors): off, the SMTP account in StartOS's System Settings, or an account of its own. The CRM restarts with the new setting.",
    warning: null,
    allowedStatuses: 'any',
    group: 'Settings',
    visibility: 'enabled',
  }),

  smtpInputSpec,

  async () => ({ smtp: smtpPrefill(await storeJson.read((s) => s.smtp).once()) }),

  async ({ effects, input }) => {
    const store = await storeJson.read().once()
    if (!store) throw new Error('store.json is missing from the volume: restart the service to seed it')
    await saveStore(effects, { ...store, smtp: input.smtp })
    const how = {
      disabled: 'Outbound mail is off: invite links are copied by hand.',
      system: "The CRM sends through StartOS's SMTP account (System Settings -> SMTP).",
      custom: 'The CRM sends through its own SMTP account.',
    }[input.smtp.selection]
    return {
      version: '1',
      title: 'SMTP saved',
      message: `${how} Venture CRM restarts to use it; send a test from Settings -> Digest.`,
      result: null,
    }
  },
)
