/** Why a policy file yields no text. The upload route maps `unsupported` to 415, `too_large` to 413 and the rest to 422. */
export type PolicyFileErrorCode = 'corrupt' | 'encrypted' | 'no_text_layer' | 'unsupported' | 'too_large';

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  constructor(
    readonly code: PolicyFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}
