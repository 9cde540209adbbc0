// scorePairsSync and scorePairs: one computation, the same answers as the scalar calls.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ces, bits } from './helpers.mjs'

const scalar = {
  similarity: ces.similarity,
  word_similarity: ces.wordSimilarity,
  strict_word_similarity: ces.strictWordSimilarity,
}

const left = ['Coca Cola', 'word', 'Café', '', 'Alaska Evap', '日本語', Buffer.from('Nestlé'), 'x']
const right = ['CocaCola', 'two words', Buffer.from('Cafe'), 'abc', 'Alaska Evaporated Filled Milk', '日本', 'Nestle', '']

/** Bit patterns, so NaN compares equal to NaN and -0 differs from 0. */
const patterns = (xs) => Array.from(xs, bits)

for (const [metric, score] of Object.entries(scalar)) {
  test(`${metric}: sync and async agree with the scalar function`, async () => {
    const want = left.map((a, i) => score(a, right[i]))
    const sync = ces.scorePairsSync(left, right, metric)
    const promise = ces.scorePairs(left, right, metric)
    assert.ok(promise instanceof Promise)
    const async = await promise
    assert.ok(sync instanceof Float32Array && async instanceof Float32Array)
    assert.deepEqual(patterns(sync), patterns(want))
    assert.deepEqual(patterns(async), patterns(want))
  })
}

test('the metric defaults to similarity', async () => {
  const want = patterns(ces.scorePairsSync(left, right, 'similarity'))
  assert.deepEqual(patterns(ces.scorePairsSync(left, right)), want)
  assert.deepEqual(patterns(ces.scorePairsSync(left, right, undefined)), want)
  assert.deepEqual(patterns(await ces.scorePairs(left, right)), want)
})

test('null or undefined on either side gives NaN, other rows are scored', async () => {
  const l = ['a', null, 'word', undefined, null]
  const r = [null, 'b', 'two words', 'x', undefined]
  for (const out of [ces.scorePairsSync(l, r), await ces.scorePairs(l, r, 'word_similarity')]) {
    assert.equal(out.length, 5)
    for (const i of [0, 1, 3, 4]) assert.ok(Number.isNaN(out[i]), `row ${i} = ${out[i]}`)
    assert.ok(out[2] > 0)
  }
})

test('empty batches give an empty Float32Array', async () => {
  assert.deepEqual(ces.scorePairsSync([], []), new Float32Array(0))
  assert.deepEqual(await ces.scorePairs([], [], 'strict_word_similarity'), new Float32Array(0))
})

test('a large batch (parallel path) matches the scalar function row by row', async () => {
  const n = 5000
  const l = Array.from({ length: n }, (_, i) => `brand ${i % 97} item ${i}`)
  const r = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : `brand ${i % 89} item ${i * 7}`))
  const want = l.map((a, i) => (r[i] === null ? NaN : ces.wordSimilarity(a, r[i])))
  assert.deepEqual(patterns(ces.scorePairsSync(l, r, 'word_similarity')), patterns(want))
  assert.deepEqual(patterns(await ces.scorePairs(l, r, 'word_similarity')), patterns(want))
})

test('scorePairs copies its inputs: changing them while pending does not change the result', async () => {
  const l = ['Coca Cola', 'word']
  const r = ['CocaCola', 'two words']
  const buf = Buffer.from('Coca Cola')
  const l2 = [buf, 'word']
  const want = patterns(ces.scorePairsSync(l, r))
  const pending = [ces.scorePairs(l, r), ces.scorePairs(l2, r)]
  l[0] = 'something else'
  buf.fill(0x7a)
  for (const p of pending) assert.deepEqual(patterns(await p), want)
})
