// The subtle-case table of the core's `subtle_cases` test (values from PostgreSQL 15.18).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ces, isFloat32 } from './helpers.mjs'

// [a, b, similarity, word_similarity(a, b), strict_word_similarity(a, b)]
const cases = [
  ['', '', 0.0, 0.0, 0.0],
  ['!!!', '!!!', 0.0, 0.0, 0.0],
  ['a', 'a', 1.0, 1.0, 1.0],
  ['a', 'ab', 0.25, 0.5, 0.25],
  ['a_b', 'a b', 1.0, 1.0, 1.0],
  ['1.5L', '1,5L', 1.0, 1.0, 1.0],
  ['1.5L', '1,5 L', 0.375, 0.6, 0.5],
  ['1.5L', '15L', 0.2857143, 0.2857143, 0.2857143],
  ['1.5L', '1500ml', 0.09090909, 0.2, 0.09090909],
  ['Coca Cola 1.5L', 'coca-cola', 0.61538464, 0.61538464, 0.61538464],
  ['CocaCola', 'Coca Cola', 0.7, 0.7, 0.7],
  ['COKE zero', 'Coca-Cola Zero Sugar', 0.3181818, 0.53846157, 0.53846157],
  ['Alaska Evap', 'Alaska Evaporated Filled Milk', 0.36666667, 0.9166667, 0.5833333],
  ['Café', 'Cafe', 0.42857143, 0.6, 0.42857143],
  ['Cafe\u0301', 'Cafe', 1.0, 1.0, 1.0],
  ['Nestlé', 'Nestle', 0.5555556, 0.71428573, 0.5555556],
  ['İSTANBUL', 'istanbul', 1.0, 1.0, 1.0],
  ['ISTANBUL', 'ıstanbul', 0.5, 0.6666667, 0.5],
  ['ΣΟΦΟΣ', 'σοφος', 0.5, 0.6666667, 0.5],
  ['ẞ', 'ß', 1.0, 1.0, 1.0],
  ['ＣＯＫＥ', 'coke', 0.0, 0.0, 0.0],
  ["M&M's", 'MMs', 0.14285715, 0.25, 0.14285715],
  ['H&M', 'h m', 1.0, 1.0, 1.0],
  ['日本語', '日本', 0.4, 0.5, 0.4],
  ['可口可乐', '可口可樂', 0.42857143, 0.6, 0.42857143],
  ['😀 Coke', 'Coke', 1.0, 1.0, 1.0],
  ['x\u00a0y', 'x y', 1.0, 1.0, 1.0],
  ['№5', 'N5', 0.0, 0.0, 0.0],
  ['x²', 'x2', 0.25, 0.5, 0.25],
  ['٣', '3', 0.0, 0.0, 0.0],
  ['č', 'tbu', 0.2, 0.5, 0.2],
  ['word', 'two words', 0.36363637, 0.8, 0.5714286],
]

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
