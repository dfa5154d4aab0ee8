export const CONTRACT_ERROR_CODES = ['UNKNOWN_TOPIC', 'INVALID_PAYLOAD'] as const
export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number]

/** One schema violation: where (JSON path into the payload, `$` for the root) and what. */
export interface Violation {
  /** JSON path of the offending value, e.g. `$.budget.currency` or `$.items[2]`. */
  path: string
  message: string
  /** The JSON Schema keyword that failed (`required`, `type`, `format`, `additionalProperties`, …). */
  keyword: string
}

export class ContractError extends Error {
  override readonly name = 'ContractError'
  readonly code: ContractErrorCode
  readonly topic: string
  readonly violations: readonly Violation[]

  constructor(code: ContractErrorCode, topic: string, message: string, violations: readonly Violation[] = [], options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.topic = topic
    this.violations = violations
  }
}

export function isContractError(error: unknown): error is ContractError {
  return error instanceof ContractError
}
