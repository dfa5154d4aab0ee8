// Generated from schemas/asset.updated.json — do not edit. Change the schema and run `pnpm codegen`.
import type { ValidateFunction } from 'ajv'
import type { AssetUpdated } from './asset.updated.json.ts'

declare const validate: ValidateFunction<AssetUpdated>
export default validate
