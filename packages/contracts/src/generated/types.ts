// Generated from schemas/*.json — do not edit. Change the schema and run `pnpm codegen`.

export type { AssetUpdated } from './asset.updated.json.ts'
export type { CampaignCreated } from './campaign.created.json.ts'
export type { CampaignUpdated } from './campaign.updated.json.ts'
