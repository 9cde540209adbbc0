// The subtle cases of tests/fixtures/trgm/subtle.json (values from PostgreSQL 15.18).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ces, isFloat32 } from './helpers.mjs'

// The brief's table of subtle cases, shared by the Rust, Python and Node suites.
const subtle = JSON.parse(readFileSync(new URL('../../tests/fixtures/trgm/subtle.json', import.meta.url), 'utf8'))
const cases = subtle.cases.map((c) => [c.a, c.b, c.similarity, c.word_similarity, c.strict_word_similarity])

/** A test name that tells NFD, NBSP and friends apart from their look-alikes. */
const quote = (s) => JSON.stringify(s).replace(/[\p{M}\p{Z}]/gu, (c) => (c === ' ' ? c : `\\u${c.codePointAt(0).toString(16).padStart(4, '0')}`))

for (const [a, b, sim, ws, sws] of cases) {
  test(`${quote(a)} vs ${quote(b)}`, () => {
    const got = {
      sim: ces.similarity(a, b),
      simBa: ces.similarity(b, a),
      ws: ces.wordSimilarity(a, b),
      sws: ces.strictWordSimilarity(a, b),
    }
    for (const [name, value] of Object.entries(got)) assert.ok(isFloat32(value), `${name} = ${value} is not a float32`)
    assert.deepEqual(got, {
      sim: Math.fround(sim),
      simBa: Math.fround(sim),
      ws: Math.fround(ws),
      sws: Math.fround(sws),
    })
  })
}

test('show_trgm examples from the core documentation', () => {
  assert.deepEqual(ces.showTrgm('Café'), ['0xef5960', '  c', ' ca', '0x544980', 'caf'])
  assert.deepEqual(ces.showTrgm('1.5L'), ['  1', '  5', ' 1 ', ' 5l', '5l '])
  assert.deepEqual(ces.showTrgm('😀 !!'), [])
  assert.equal(ces.showTrgmText('1.5L'), '{"  1","  5"," 1 "," 5l","5l "}')
  assert.equal(ces.showTrgmText('😀 !!'), '{}')
})

test('distance, greedy word similarity and the 0.72 boundary', () => {
  assert.equal(ces.similarityDistance('word', 'two words'), Math.fround(0.6363636))
  assert.equal(ces.wordSimilarity('aba b ', ' babaa aa ba ba aaa b'), Math.fround(0.44444445))
  assert.equal(ces.strictWordSimilarity('ba a ab ', 'aaaaba b  a abaaaab'), Math.fround(0.41666666))
  assert.equal(ces.wordSimilarity('two words', 'word'), Math.fround(0.4))
  // Exactly 18/25 = f32(0.72) >= 0.72 in double: accepted, as by PostgreSQL.
  assert.equal(ces.similarity('Datu Puti Vinegar 3-in-1', 'Datu Puti Vinegar'), Math.fround(0.72))
  assert.equal(ces.similar('Datu Puti Vinegar 3-in-1', 'Datu Puti Vinegar'), true)
  assert.equal(ces.similar('CocaCola', 'Coca Cola'), false)
  // f32(0.7) = 0.699999988 < 0.7 in double: rejected at 0.7, as by PostgreSQL.
  assert.equal(ces.similar('CocaCola', 'Coca Cola', 0.7), false)
  assert.equal(ces.similar('CocaCola', 'Coca Cola', Math.fround(0.7)), true)
  assert.equal(ces.similar('CocaCola', 'Coca Cola', undefined), false)
  assert.equal(ces.similar('CocaCola', 'Coca Cola', null), false)
  assert.equal(ces.wordSimilar('word', 'two words', 0.8), true)
  assert.equal(ces.wordSimilar('two words', 'word', 0.8), false)
  assert.equal(ces.strictWordSimilar('word', 'two words', 0.5), true)
  assert.equal(ces.strictWordSimilar('word', 'two words'), false)
  assert.equal(ces.similar('', '', 0), true) // 0 >= 0
})
