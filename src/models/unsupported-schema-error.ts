// A JSON Schema an adapter cannot translate into its provider's own schema language (Gemini's, the local
// model's grammar): the caller falls back to asking for JSON without the provider's constraint.

export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
}
