// The committed golden file: PostgreSQL 15's own answers for thousands of pairs, compared
// bit for bit. A missing or truncated file fails the suite (it is part of the repository).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ces, bits, isFloat32 } from './helpers.mjs'

const dir = new URL('../../tests/fixtures/trgm/', import.meta.url)
const rows = readFileSync(new URL('golden.jsonl', dir), 'utf8')
  .split('\n')
  .filter((line) => line.length > 0)
  .map((line) => JSON.parse(line))
const meta = JSON.parse(readFileSync(new URL('golden.meta.json', dir), 'utf8'))

/** Collects mismatches and fails once with the first few, instead of thousands of asserts. */
function check(name, each) {
  test(name, () => {
    const bad = []
    for (const row of rows) {
      for (const [what, got, want] of each(row)) {
        if (got !== want) bad.push(`row ${row.id} (${row.cat}) ${what}: got ${got}, want ${want}`)
      }
    }
    assert.deepEqual(bad.slice(0, 20), [], `${bad.length} mismatches`)
  })
}

/** `[what, bit pattern of the binding's float32, expected bit pattern]`, checking exactness too. */
function score(what, value, want) {
  return [what, isFloat32(value) ? bits(value) : `non-float32 ${value}`, want]
}

test('the golden file is complete', () => {
  assert.equal(rows.length, meta.count)
  assert.ok(rows.length >= 1000, `only ${rows.length} rows`)
  rows.forEach((row, i) => assert.equal(row.id, i))
})

check('showTrgmText', (r) => [
  ['show_a', ces.showTrgmText(r.a), r.show_a],
  ['show_b', ces.showTrgmText(r.b), r.show_b],
])

check('similarity and similarityDistance', (r) => [
  score('sim', ces.similarity(r.a, r.b), r.sim),
  score('sim_ba', ces.similarity(r.b, r.a), r.sim_ba),
  score('dist', ces.similarityDistance(r.a, r.b), r.dist),
])

check('wordSimilarity and strictWordSimilarity, both orders', (r) => [
  score('ws_ab', ces.wordSimilarity(r.a, r.b), r.ws_ab),
  score('ws_ba', ces.wordSimilarity(r.b, r.a), r.ws_ba),
  score('sws_ab', ces.strictWordSimilarity(r.a, r.b), r.sws_ab),
  score('sws_ba', ces.strictWordSimilarity(r.b, r.a), r.sws_ba),
])

check('operators at 0.72 (default and explicit threshold)', (r) => {
  const t = meta.threshold
  assert.equal(t, 0.72)
  const got = [
    ces.similar(r.a, r.b, t),
    ces.wordSimilar(r.a, r.b, t),
    ces.wordSimilar(r.b, r.a, t),
    ces.strictWordSimilar(r.a, r.b, t),
    ces.strictWordSimilar(r.b, r.a, t),
  ]
  const byDefault = [
    ces.similar(r.a, r.b),
    ces.wordSimilar(r.a, r.b),
    ces.wordSimilar(r.b, r.a),
    ces.strictWordSimilar(r.a, r.b),
    ces.strictWordSimilar(r.b, r.a),
  ]
  return [
    ['op', JSON.stringify(got), JSON.stringify(r.op)],
    ['op (default threshold)', JSON.stringify(byDefault), JSON.stringify(r.op)],
  ]
})

check('Buffer inputs give the same answers as strings', (r) => {
  const a = Buffer.from(r.a, 'utf8')
  const b = Buffer.from(r.b, 'utf8')
  return [
    ['show_a', ces.showTrgmText(a), r.show_a],
    score('sim', ces.similarity(a, b), r.sim),
    score('ws_ab', ces.wordSimilarity(a, r.b), r.ws_ab),
    score('sws_ba', ces.strictWordSimilarity(b, a), r.sws_ba),
  ]
})

const columns = { similarity: ['sim', 'sim_ba'], word_similarity: ['ws_ab', 'ws_ba'], strict_word_similarity: ['sws_ab', 'sws_ba'] }
const left = rows.map((r) => r.a)
const right = rows.map((r) => r.b)

for (const [metric, [ab, ba]] of Object.entries(columns)) {
  test(`scorePairsSync and scorePairs, ${metric}, both orders`, async () => {
    const runs = {
      [`sync ${ab}`]: [ces.scorePairsSync(left, right, metric), ab],
      [`sync ${ba}`]: [ces.scorePairsSync(right, left, metric), ba],
      [`async ${ab}`]: [await ces.scorePairs(left, right, metric), ab],
      [`async ${ba}`]: [await ces.scorePairs(right, left, metric), ba],
    }
    for (const [name, [out, field]] of Object.entries(runs)) {
      assert.ok(out instanceof Float32Array, name)
      assert.equal(out.length, rows.length, name)
      const bad = rows.filter((r, i) => bits(out[i]) !== r[field]).map((r) => r.id)
      assert.deepEqual(bad.slice(0, 20), [], `${name}: ${bad.length} mismatches`)
    }
  })
}
