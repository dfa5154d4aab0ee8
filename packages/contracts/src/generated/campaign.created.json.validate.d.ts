// Generated from schemas/campaign.created.json — do not edit. Change the schema and run `pnpm codegen`.
import type { ValidateFunction } from 'ajv'
import type { CampaignCreated } from './campaign.created.json.ts'

declare const validate: ValidateFunction<CampaignCreated>
export default validate
