// Generated from schemas/campaign.updated.json — do not edit. Change the schema and run `pnpm codegen`.
import type { ValidateFunction } from 'ajv'
import type { CampaignUpdated } from './campaign.updated.json.ts'

declare const validate: ValidateFunction<CampaignUpdated>
export default validate
