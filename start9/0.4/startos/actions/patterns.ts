// Input patterns shared by the actions; each mirrors the check the CRM or its bot makes at
// start-up, so a bad value is refused in the form instead of stopping the daemon.

/** backend/config.py and backend/matrix_intake/config.py accept any http(s) URL (a bare host too). */
export const httpUrl = {
  regex: '^https?://[^\\s/?#]+(/\\S*)?$',
  description: 'Must start with http:// or https://',
}

export const matrixUserId = {
  regex: '^@[^:\\s]+:\\S+$',
  description: 'A full Matrix user id like @intake:example.org',
}

export const matrixRoom = {
  regex: '^(![^\\s]+|#[^:\\s]+:\\S+)$',
  description: 'A room id (!abc123:example.org) or an alias (#intake:example.org)',
}

export const matrixUserList = {
  regex: '^\\s*@[^:\\s,]+:[^\\s,]+(\\s*,\\s*@[^:\\s,]+:[^\\s,]+)*\\s*$',
  description: 'Matrix user ids separated by commas, like @ana:example.org, @ben:example.org',
}

export const serviceToken = {
  regex: '^vcrm_\\S+$',
  description: 'The token Settings -> Intake shows once; it starts with vcrm_',
}

type Rule = { regex: string; description: string }

/**
 * The fields whose value breaks its pattern, as "Label: rule" sentences. The form applies
 * patterns in the browser only (the SDK's validator does not), so each run checks again.
 */
export function patternProblems(fields: [label: string, value: string | null | undefined, rule: Rule][]): string[] {
  return fields
    .filter(([, value, rule]) => value != null && value.trim() !== '' && !new RegExp(rule.regex).test(value.trim()))
    .map(([label, , rule]) => `${label}: ${rule.description}`)
}
