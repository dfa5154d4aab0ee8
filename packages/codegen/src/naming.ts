import { CodegenError } from './errors.ts'

/**
 * Topic names follow `domain.action.format`: three dot-separated parts of lowercase letters, digits and '-',
 * each starting with a letter. Schema files are named exactly as their topic, so the format part is `json`.
 */
export const TOPIC_NAME_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.json$/

export const TOPIC_NAME_RULE =
  'domain.action.format — three dot-separated parts of lowercase letters, digits and "-", each starting with a letter, ' +
  'the format being "json" (e.g. campaign.created.json)'

/** Dead-letter topics keep the rule: `campaign.created.json` → `campaign.created-dlq.json`. */
export const DEAD_LETTER_SUFFIX = '-dlq'

export function isTopicName(name: string): boolean {
  return TOPIC_NAME_PATTERN.test(name) && !name.split('.')[1]?.endsWith(DEAD_LETTER_SUFFIX)
}

export function deadLetterTopicOf(topic: string): string {
  const [domain, action, format] = topic.split('.')
  return `${domain}.${action}${DEAD_LETTER_SUFFIX}.${format}`
}

/** Throws a CodegenError that shows the rule and the offending file name. */
export function checkSchemaFileName(file: string): string {
  if (!TOPIC_NAME_PATTERN.test(file)) {
    throw new CodegenError(
      'INVALID_TOPIC_NAME',
      `schema file "${file}" is not a valid topic name. Schema files are named exactly as their topic, and topic ` +
        `names follow ${TOPIC_NAME_RULE}. Rename the file.`,
      { file },
    )
  }
  if (!isTopicName(file)) {
    throw new CodegenError(
      'INVALID_TOPIC_NAME',
      `schema file "${file}" ends its action with "${DEAD_LETTER_SUFFIX}", which is reserved for dead-letter topics ` +
        `(e.g. campaign.created${DEAD_LETTER_SUFFIX}.json). Rename the file.`,
      { file },
    )
  }
  return file
}

/** `campaign.created.json` → `CampaignCreated`; `asset.re-encoded.json` → `AssetReEncoded`. */
export function typeNameOf(topic: string): string {
  const [domain = '', action = ''] = topic.split('.')
  return `${domain}-${action}`
    .split('-')
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
}
