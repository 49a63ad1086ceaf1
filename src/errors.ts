/**
 * Typed errors. Every error a user can cause names what is wrong, where, and how to fix it.
 * The CLI prints `error: <message>` (plus the hint) without a stack trace; exit 1, or 2 for UsageError.
 */

export interface MambaErrorOptions {
  /** How to fix the problem, printed after the message. */
  hint?: string;
  cause?: unknown;
}

export class MambaError extends Error {
  /** Stable machine-readable code, e.g. `E_MODEL_FORMAT`. */
  readonly code: string = 'E_MAMBA';
  readonly hint: string | undefined;
  constructor(message: string, options: MambaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** A model file is truncated, corrupt or internally inconsistent. */
export class ModelFormatError extends MambaError {
  override readonly code = 'E_MODEL_FORMAT';
  constructor(readonly file: string, message: string, options: MambaErrorOptions = {}) {
    super(`${file}: ${message}`, options);
  }
}

/** The file is valid but uses something mamba.ts does not support (a tensor type, an architecture). */
export class UnsupportedError extends MambaError {
  override readonly code = 'E_UNSUPPORTED';
}

/** A config.json / model_config.yaml / hyperparameter set is missing keys or has bad values. */
export class ConfigError extends MambaError {
  override readonly code = 'E_CONFIG';
}

/** A tensor is missing or has the wrong shape for the architecture. */
export class TensorShapeError extends MambaError {
  override readonly code = 'E_TENSOR_SHAPE';
}

/** Bad command-line usage: the CLI exits with code 2. */
export class UsageError extends MambaError {
  override readonly code = 'E_USAGE';
}

/** Tokenizer data is malformed or an id is out of range. */
export class TokenizerError extends MambaError {
  override readonly code = 'E_TOKENIZER';
}

/** A file could not be read or written (not found, permission, disk full). */
export class FileAccessError extends MambaError {
  override readonly code = 'E_FILE_ACCESS';
}

/** A computation gave NaN or +infinity where a number is needed (the model's logits): corrupt weights or an overflow. */
export class NumericError extends MambaError {
  override readonly code = 'E_NUMERIC';
}
