// Bad input: typed errors with the core's codes, never a crash.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ces, CES_CODES } from './helpers.mjs'

const badUtf8 = Buffer.from([0x66, 0xff])

/** A matcher for `assert.throws` / `assert.rejects`: an `Error` with this code (and message). */
function cesError(code, message) {
  return (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, code)
    if (message instanceof RegExp) assert.match(err.message, message)
    else if (message !== undefined) assert.equal(err.message, message)
    return true
  }
}

test('a Buffer holding invalid UTF-8 is invalid_utf8 for every text argument', () => {
  const calls = {
    showTrgm: () => ces.showTrgm(badUtf8),
    showTrgmText: () => ces.showTrgmText(badUtf8),
    similarity: () => ces.similarity('f', badUtf8),
    wordSimilarity: () => ces.wordSimilarity(badUtf8, 'f'),
    strictWordSimilarity: () => ces.strictWordSimilarity('f', badUtf8),
    similarityDistance: () => ces.similarityDistance(badUtf8, 'f'),
    similar: () => ces.similar('f', badUtf8),
    wordSimilar: () => ces.wordSimilar(badUtf8, 'f', 0.5),
    strictWordSimilar: () => ces.strictWordSimilar('f', badUtf8, 0.5),
  }
  for (const [name, call] of Object.entries(calls)) assert.throws(call, cesError('invalid_utf8', /not valid UTF-8/), name)
  assert.throws(
    () => ces.similarity('f', badUtf8),
    cesError('invalid_utf8', '`b` is not valid UTF-8 (first invalid byte at offset 1)'),
  )
  // Truncated multi-byte sequence, lone continuation byte, overlong encoding, UTF-16 surrogate.
  for (const bytes of [[0x61, 0xc3], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
    assert.throws(() => ces.similarity(Buffer.from(bytes), 'a'), cesError('invalid_utf8'), `${bytes}`)
  }
})

test('a threshold that is NaN or outside [0, 1] is invalid_threshold', () => {
  for (const t of [NaN, -0.1, 1.5, Infinity, -Infinity, 1.0000001]) {
    for (const fn of [ces.similar, ces.wordSimilar, ces.strictWordSimilar]) {
      assert.throws(() => fn('a', 'a', t), cesError('invalid_threshold', /must be a number in \[0, 1\]/), `${fn.name}(${t})`)
    }
  }
  assert.throws(
    () => ces.similar('a', 'b', 1.5),
    cesError('invalid_threshold', 'invalid threshold for `threshold`: 1.5 (must be a number in [0, 1])'),
  )
  for (const t of [0, 1, -0]) assert.equal(typeof ces.similar('a', 'a', t), 'boolean')
})

test('batch errors: length_mismatch, invalid_argument, invalid_utf8 with the row (thrown sync, rejected async)', async () => {
  const cases = [
    [[['a'], ['a', 'b']], 'length_mismatch', '`left` has 1 rows but `right` has 2'],
    [[['a'], ['b'], 'cosine'], 'invalid_argument', /invalid value for `metric`: "cosine"/],
    [[['a'], ['b'], 'Similarity'], 'invalid_argument', /expected one of similarity, word_similarity, strict_word_similarity/],
    [[['a', badUtf8], ['b', 'c']], 'invalid_utf8', 'row 1: `left` is not valid UTF-8 (first invalid byte at offset 1)'],
    [[[null, 'a'], [badUtf8, 'c']], 'invalid_utf8', /^row 0: `right`/],
  ]
  for (const [args, code, message] of cases) {
    assert.throws(() => ces.scorePairsSync(...args), cesError(code, message), `sync ${code}`)
    await assert.rejects(ces.scorePairs(...args), cesError(code, message), `async ${code}`)
  }
})

test('every code the binding produced is a core code', () => {
  for (const code of ['invalid_threshold', 'invalid_argument', 'invalid_utf8', 'length_mismatch']) {
    assert.ok(CES_CODES.includes(code))
  }
})

test('arguments of the wrong JavaScript type throw a Node-API error (never crash)', async () => {
  const notText = [1, null, undefined, {}, [], true, Symbol('s'), 10n]
  for (const v of notText) {
    for (const fn of [ces.similarity, ces.wordSimilarity, ces.strictWordSimilarity, ces.similarityDistance, ces.similar]) {
      assert.throws(() => fn(v, 'a'), { code: 'InvalidArg' }, `${fn.name}(${String(v)}, 'a')`)
      assert.throws(() => fn('a', v), { code: 'InvalidArg' }, `${fn.name}('a', ${String(v)})`)
    }
    assert.throws(() => ces.showTrgm(v), { code: 'InvalidArg' })
  }
  assert.throws(() => ces.similarity(), { code: 'InvalidArg' })
  assert.throws(() => ces.similar('a', 'b', '0.5'), { code: 'NumberExpected' })
  assert.throws(() => ces.scorePairsSync('abc', ['a']), { code: 'ArrayExpected' })
  assert.throws(() => ces.scorePairsSync([1], ['a']), { code: 'InvalidArg' })
  assert.throws(() => ces.scorePairsSync(['a'], ['a'], 3), { code: 'StringExpected' })
  // Type errors are found while the arguments are read, before a promise exists.
  assert.throws(() => ces.scorePairs(['a'], [{}]), { code: 'InvalidArg' })
  // Still alive and correct after all of that.
  assert.equal(ces.similarity('a', 'a'), 1)
})

test('1 MB inputs return', async () => {
  const big = 'lorem ipsum dolor sit amet '.repeat(40_000)
  assert.ok(big.length > 1_000_000)
  const s = ces.similarity(big, 'lorem ipsum')
  assert.ok(s > 0 && s < 1)
  const word = 'x'.repeat(1 << 20)
  assert.equal(ces.similarity(word, word), 1)
  assert.equal(ces.similarity(Buffer.from(word), word), 1)
  assert.equal(ces.showTrgm(big).length, ces.showTrgm('lorem ipsum dolor sit amet').length)
  assert.equal(ces.wordSimilarity('lorem', big), 1)
  const [sync] = ces.scorePairsSync([big], [big])
  const [async] = await ces.scorePairs([big], [big])
  assert.equal(sync, 1)
  assert.equal(async, 1)
})
