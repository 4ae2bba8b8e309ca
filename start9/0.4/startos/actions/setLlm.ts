import { normalizeBaseUrl } from '../env'
import { saveStore, storeJson } from '../fileModels/store.json'
import { sdk } from '../sdk'
import { httpUrl, patternProblems } from './patterns'

const { InputSpec, Value } = sdk

export const llmInputSpec = InputSpec.of({
  baseUrl: Value.text({
    name: 'Base URL',
    description:
      'The OpenAI-compatible model server on your own box or network, without /v1 (the CRM calls /v1/chat/completions and /v1/embeddings under it), e.g. http://192.168.1.20:8000. Leave empty to turn every model feature off: each has a deterministic fallback.',
    required: false,
    default: null,
    placeholder: 'http://192.168.1.20:8000',
    patterns: [httpUrl],
  }),
  model: Value.text({
    name: 'Chat model',
    description: 'The model name sent with each request. Empty: "local".',
    required: false,
    default: null,
    placeholder: 'local',
  }),
  embeddingModel: Value.text({
    name: 'Embedding model',
    description: 'The model search uses for embeddings. Empty: "local-embedding".',
    required: false,
    default: null,
    placeholder: 'local-embedding',
  }),
  apiKey: Value.text({
    name: 'API key',
    description: 'Sent as a Bearer token, if the server asks for one.',
    required: false,
    default: null,
    masked: true,
  }),
})

/** Why this input cannot be saved (empty when it can). */
export function llmInputProblems(input: typeof llmInputSpec._TYPE): string[] {
  return patternProblems([['Base URL', input.baseUrl, httpUrl]])
}

export const setLlm = sdk.Action.withInput(
  'set-llm',

  async () => ({
    name: 'Set LLM Endpoint',
    description:
      "Point Venture CRM at your own model server (digest narratives, questions, the intake bot's reading of notes, search embeddings). Investors' names, emails and notes go only to this endpoint. The CRM and the Matrix bot restart with the new setting.",
    warning: null,
    allowedStatuses: 'any',
    group: 'Settings',
    visibility: 'enabled',
  }),

  llmInputSpec,

  async () => {
    const llm = await storeJson.read((s) => s.llm).once()
    return llm ?? {}
  },

  async ({ effects, input }) => {
    const store = await storeJson.read().once()
    if (!store) throw new Error('store.json is missing from the volume: restart the service to seed it')
    const problems = llmInputProblems(input)
    if (problems.length) throw new Error(`${problems.join('. ')}.`)
    const baseUrl = normalizeBaseUrl(input.baseUrl)
    await saveStore(effects, {
      ...store,
      llm: {
        baseUrl,
        model: input.model?.trim() || null,
        embeddingModel: input.embeddingModel?.trim() || null,
        apiKey: input.apiKey?.trim() || null,
      },
    })
    return {
      version: '1',
      title: 'LLM endpoint saved',
      message: baseUrl
        ? `Venture CRM uses the model server at ${baseUrl}; it restarts to pick it up.`
        : 'No model server: every model feature uses its deterministic fallback.',
      result: null,
    }
  },
)
