export const CODEGEN_ERROR_CODES = [
  'INVALID_TOPIC_NAME',
  'INVALID_SCHEMA',
  'INVALID_METADATA',
  'SCHEMA_EXISTS',
  'TYPE_NOT_FOUND',
  'NO_SCHEMAS',
] as const
export type CodegenErrorCode = (typeof CODEGEN_ERROR_CODES)[number]

export class CodegenError extends Error {
  override readonly name = 'CodegenError'
  readonly code: CodegenErrorCode
  /** Schema file (relative to the schemas directory) the problem was found in, when there is one. */
  readonly file: string | undefined

  constructor(code: CodegenErrorCode, message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.file = options?.file
  }
}

export function isCodegenError(error: unknown): error is CodegenError {
  return error instanceof CodegenError
}

/** Several problems found in one pass: codegen reports all of them at once rather than one per run. */
export class CodegenErrors extends Error {
  override readonly name = 'CodegenErrors'
  readonly errors: readonly CodegenError[]

  constructor(errors: readonly CodegenError[]) {
    super(`codegen found ${errors.length} problem(s):\n${errors.map((e) => `  - ${e.message}`).join('\n')}`)
    this.errors = errors
  }
}
