// Generated from schemas/*.json — do not edit. Change the schema and run `pnpm codegen`.

import type { AssetUpdated } from './asset.updated.json.ts'
import * as assetUpdated from './asset.updated.json.ts'
import validateAssetUpdated from './asset.updated.json.validate.js'
import type { CampaignCreated } from './campaign.created.json.ts'
import * as campaignCreated from './campaign.created.json.ts'
import validateCampaignCreated from './campaign.created.json.validate.js'
import type { CampaignUpdated } from './campaign.updated.json.ts'
import * as campaignUpdated from './campaign.updated.json.ts'
import validateCampaignUpdated from './campaign.updated.json.validate.js'

export type { AssetUpdated, CampaignCreated, CampaignUpdated }

/** Every topic that has a schema in schemas/, sorted. */
export const TOPICS = ["asset.updated.json", "campaign.created.json", "campaign.updated.json"] as const

export type TopicName = (typeof TOPICS)[number]

/** Topic name → payload type. */
export interface EventMap {
  "asset.updated.json": AssetUpdated
  "campaign.created.json": CampaignCreated
  "campaign.updated.json": CampaignUpdated
}

/** Topic name → metadata from the schema's `x-kafka` block, plus the registered schema. */
export const topicMetadata = {
  "asset.updated.json": { topic: assetUpdated.topic, ...assetUpdated.metadata, schema: assetUpdated.schema },
  "campaign.created.json": { topic: campaignCreated.topic, ...campaignCreated.metadata, schema: campaignCreated.schema },
  "campaign.updated.json": { topic: campaignUpdated.topic, ...campaignUpdated.metadata, schema: campaignUpdated.schema },
} as const

/** Shared definition (`defs/*.json`, what topics `$ref`) → its schema and the definitions it refers to. */
export const definitions = {} as const

/** Topic name → validator compiled at codegen time (ajv standalone). */
export const validators = {
  "asset.updated.json": validateAssetUpdated,
  "campaign.created.json": validateCampaignCreated,
  "campaign.updated.json": validateCampaignUpdated,
} as const
