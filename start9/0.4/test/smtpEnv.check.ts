// Each Manage SMTP selection -> the exact SMTP_* variables the CRM daemon gets. Every stored
// selection goes through smtpShape first, as the action's write and main's read do.
import { smtpShape, type SmtpSelection, type T } from '@start9labs/start-sdk'
import { smtpEnvFor } from '../startos/smtpEnv'
import { done, expectEqual } from './check'

const osSmtp: T.SmtpValue = {
  host: 'smtp.os.example',
  port: 465,
  security: 'tls',
  username: 'box@os.example',
  password: 'os-secret',
  from: 'Box <box@os.example>',
}

const stored = (value: unknown): SmtpSelection => smtpShape.parse(value)

expectEqual('disabled -> nothing (mail off)', smtpEnvFor(stored({ selection: 'disabled', value: {} }), osSmtp), {})

expectEqual('system with the OS account -> the OS account', smtpEnvFor(stored({ selection: 'system', value: { customFrom: null } }), osSmtp), {
  SMTP_HOST: 'smtp.os.example',
  SMTP_PORT: '465',
  SMTP_SECURITY: 'tls',
  SMTP_USERNAME: 'box@os.example',
  SMTP_PASSWORD: 'os-secret',
  SMTP_FROM: 'Box <box@os.example>',
})

expectEqual(
  'system with customFrom -> the OS account, From replaced',
  smtpEnvFor(stored({ selection: 'system', value: { customFrom: 'Venture CRM <crm@fund.example>' } }), osSmtp),
  {
    SMTP_HOST: 'smtp.os.example',
    SMTP_PORT: '465',
    SMTP_SECURITY: 'tls',
    SMTP_USERNAME: 'box@os.example',
    SMTP_PASSWORD: 'os-secret',
    SMTP_FROM: 'Venture CRM <crm@fund.example>',
  },
)

expectEqual('system, OS has no SMTP account -> nothing (mail off)', smtpEnvFor(stored({ selection: 'system', value: { customFrom: 'X <x@fund.example>' } }), null), {})

expectEqual(
  'system, OS account without password, starttls -> no SMTP_PASSWORD',
  smtpEnvFor(stored({ selection: 'system', value: {} }), { ...osSmtp, port: 587, security: 'starttls', password: null }),
  {
    SMTP_HOST: 'smtp.os.example',
    SMTP_PORT: '587',
    SMTP_SECURITY: 'starttls',
    SMTP_USERNAME: 'box@os.example',
    SMTP_FROM: 'Box <box@os.example>',
  },
)

const gmail = {
  selection: 'custom',
  value: {
    provider: {
      selection: 'gmail',
      value: {
        host: 'smtp.gmail.com',
        from: 'Fund Team <team@fund.example>',
        username: 'team@fund.example',
        password: 'gmail-app-password',
        // The form's TLS port field is disabled ("Fixed for TLS") and may arrive as null.
        security: { selection: 'tls', value: { port: null } },
      },
    },
  },
}
expectEqual('custom gmail, tls -> smtp.gmail.com:465 tls', smtpEnvFor(stored(gmail), osSmtp), {
  SMTP_HOST: 'smtp.gmail.com',
  SMTP_PORT: '465',
  SMTP_SECURITY: 'tls',
  SMTP_USERNAME: 'team@fund.example',
  SMTP_PASSWORD: 'gmail-app-password',
  SMTP_FROM: 'Fund Team <team@fund.example>',
})

const other = {
  selection: 'custom',
  value: {
    provider: {
      selection: 'other',
      value: {
        host: ' mail.fund.example ',
        from: 'crm@fund.example',
        username: 'crm',
        password: 'p@ss word',
        security: { selection: 'starttls', value: { port: '587' } },
      },
    },
  },
}
expectEqual('custom other, starttls 587 -> exactly as entered (trimmed host)', smtpEnvFor(stored(other), null), {
  SMTP_HOST: 'mail.fund.example',
  SMTP_PORT: '587',
  SMTP_SECURITY: 'starttls',
  SMTP_USERNAME: 'crm',
  SMTP_PASSWORD: 'p@ss word',
  SMTP_FROM: 'crm@fund.example',
})

const noPassword = structuredClone(other)
noPassword.value.provider.value.password = null as unknown as string
noPassword.value.provider.value.security = { selection: 'starttls', value: { port: '2525' } }
expectEqual('custom other, starttls 2525, no password -> no SMTP_PASSWORD', smtpEnvFor(stored(noPassword), null), {
  SMTP_HOST: 'mail.fund.example',
  SMTP_PORT: '2525',
  SMTP_SECURITY: 'starttls',
  SMTP_USERNAME: 'crm',
  SMTP_FROM: 'crm@fund.example',
})

expectEqual('a damaged stored selection reads as disabled -> nothing', smtpEnvFor(stored({ selection: 'bogus' }), osSmtp), {})

done()
