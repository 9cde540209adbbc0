// Shared helpers for the test files (not a test file itself).
import { createRequire } from 'node:module'

/** The binding, loaded through the generated loader exactly as users load it. */
export const ces = createRequire(import.meta.url)('../index.js')

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** The IEEE-754 bit pattern of `x` stored as a float32 (what PostgreSQL's `float4send` gives). */
export function bits(x) {
  f32[0] = x
  return u32[0]
}

/** Is `x` a number that a float32 represents exactly (so the binding did not lose or add precision)? */
export function isFloat32(x) {
  return typeof x === 'number' && Object.is(Math.fround(x), x)
}

/** Every code a CES error can carry (`CesError::CODES` in the core). */
export const CES_CODES = [
  'invalid_threshold',
  'invalid_argument',
  'invalid_utf8',
  'missing_value',
  'length_mismatch',
  'invalid_record',
  'duplicate_key',
  'malformed_input',
]
