// Brand resolution: Catalog, Resolver, TriageQueue, normalize, calibrate.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ces, bits, isFloat32, CES_CODES } from './helpers.mjs'

const { Catalog, Resolver, TriageQueue, normalize, calibrate } = ces

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

const SAMPLE = {
  brands: [
    { id: 1, name: 'Coca-Cola' },
    { id: 2, name: 'Datu Puti Vinegar' },
    { id: 3, name: 'Alaska Evaporated Filled Milk' },
    { id: 7, name: 'Kopiko' },
  ],
  aliases: [{ brandId: 1, alias: 'Coke' }],
  genericWords: ['softdrinks'],
}

const catalog = new Catalog(SAMPLE)
const resolver = new Resolver(catalog)

// --- Catalog -----------------------------------------------------------------------------

test('a catalog reports its size and a stable fingerprint', () => {
  assert.equal(catalog.brandCount, 4)
  assert.equal(catalog.entryCount, 5)
  assert.match(catalog.fingerprint, /^[0-9a-f]{16}$/)
  assert.equal(new Catalog(SAMPLE).fingerprint, catalog.fingerprint)
  // Order of rows does not matter; content and normaliser do.
  const reordered = { ...SAMPLE, brands: [...SAMPLE.brands].reverse() }
  assert.equal(new Catalog(reordered).fingerprint, catalog.fingerprint)
  assert.notEqual(new Catalog({ ...SAMPLE, normalizer: 'pg_trgm' }).fingerprint, catalog.fingerprint)
  assert.notEqual(new Catalog({ ...SAMPLE, genericWords: [] }).fingerprint, catalog.fingerprint)
})

test('catalog errors carry a core code and name the row and field', () => {
  const cases = [
    [
      { brands: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }, { id: 1, name: 'C' }] },
      'invalid_argument',
      'row 2: invalid value for `brands.id`: 1 (duplicate brand id (first at row 0))',
    ],
    [
      { brands: [{ id: 1, name: 'A' }], aliases: [{ brandId: 1, alias: 'a' }, { brandId: 9, alias: 'x' }] },
      'invalid_argument',
      'row 1: invalid value for `aliases.brand_id`: 9 (no brand has this id)',
    ],
    [
      { brands: [{ id: 1, name: 'A' }, { id: 2, name: 'B', threshold: 1.5 }] },
      'invalid_argument',
      'row 1: invalid value for `brands.threshold`: 1.5 (a threshold must be a number in [0, 1])',
    ],
    [
      { brands: [{ id: 1, name: 'A' }], aliases: [{ brandId: 1, alias: 'a', threshold: -0.1 }] },
      'invalid_argument',
      /^row 0: invalid value for `aliases\.threshold`: -0\.1/,
    ],
    [{ brands: [{ id: 1, name: '  ' }] }, 'invalid_argument', /^row 0: invalid value for `brands\.name`/],
    [
      { brands: [{ id: 1, name: 'A' }], aliases: [{ brandId: 1, alias: 'a' }, { brandId: 1, alias: '' }] },
      'invalid_argument',
      /^row 1: invalid value for `aliases\.alias`/,
    ],
    [
      { brands: [{ id: 1, name: 'A' }], aliases: [{ brandId: 1, alias: 'a', aliasType: 'nickname' }] },
      'invalid_argument',
      /^row 0: invalid value for `aliases\.alias_type`: "nickname" \(expected one of canonical, variant/,
    ],
    [{ brands: [], normalizer: 'raw' }, 'invalid_argument', /`normalizer`: "raw"/],
    [{ brands: [], normalizer: ['nfkc', 'stem'] }, 'invalid_argument', /`normalizer\.steps`: "stem" \(unknown step/],
    [{ brands: [], normalizer: ['lowercase', 'lowercase'] }, 'invalid_argument', /a step may appear only once/],
  ]
  for (const [spec, code, message] of cases) {
    assert.throws(() => new Catalog(spec), cesError(code, message), JSON.stringify(spec))
  }
})

test('ids must be safe integers (i64 carried as number)', () => {
  const reason = '(must be a safe integer, at most 2^53 - 1 in magnitude)'
  const bad = [1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e300]
  for (const id of bad) {
    assert.throws(
      () => new Catalog({ brands: [{ id: 1, name: 'A' }, { id, name: 'B' }] }),
      (err) => {
        cesError('invalid_argument', /^row 1: invalid value for `brands\.id`: /)(err)
        assert.ok(err.message.endsWith(` ${reason}`), err.message)
        return true
      },
      `brand id ${id}`,
    )
    assert.throws(
      () => new Catalog({ brands: [{ id: 1, name: 'A' }], aliases: [{ brandId: id, alias: 'x' }] }),
      cesError('invalid_argument', /^row 0: invalid value for `aliases\.brand_id`/),
      `alias brandId ${id}`,
    )
  }
  assert.throws(
    () => new Catalog({ brands: [{ id: 2 ** 53, name: 'A' }] }),
    cesError('invalid_argument', `row 0: invalid value for \`brands.id\`: 9007199254740992 ${reason}`),
  )
  // The extremes that are safe, negative ids and -0 are fine.
  const ok = new Catalog({
    brands: [
      { id: Number.MAX_SAFE_INTEGER, name: 'Max' },
      { id: Number.MIN_SAFE_INTEGER, name: 'Min' },
      { id: -0, name: 'Zero' },
    ],
  })
  const r = new Resolver(ok)
  assert.equal(r.resolve('max').brandId, Number.MAX_SAFE_INTEGER)
  assert.equal(r.resolve('min').brandId, Number.MIN_SAFE_INTEGER)
  assert.ok(Object.is(r.resolve('zero').brandId, 0))
})

test('optional catalog fields accept null or undefined', () => {
  const c = new Catalog({
    brands: [{ id: 1, name: 'A', threshold: null }, { id: 2, name: 'B', threshold: undefined }],
    aliases: [{ brandId: 1, alias: 'aa', threshold: null, aliasType: undefined }],
    genericWords: undefined,
    normalizer: undefined,
  })
  assert.equal(c.brandCount, 2)
  assert.equal(new Catalog({ brands: [] }).entryCount, 0)
})

test('arguments of the wrong JavaScript type throw a Node-API error, never crash', () => {
  const calls = [
    () => new Catalog(),
    () => new Catalog({ brands: [{ id: '1', name: 'A' }] }),
    () => new Catalog({ brands: [{ id: 1 }] }),
    () => new Catalog({ brands: 'A' }),
    () => new Resolver({ brands: [] }),
    () => new Resolver(null),
    () => new Resolver(catalog, { threshold: '0.5' }),
    () => resolver.resolve(5),
    () => resolver.resolve(null),
    () => resolver.resolveBatchSync('abc'),
    () => resolver.resolveBatchSync([1]),
    () => resolver.resolveColumnsSync([{}]),
    () => new TriageQueue().record({}, 1),
    () => calibrate([0.5], [1]),
  ]
  for (const call of calls) {
    assert.throws(call, (err) => err instanceof Error && !CES_CODES.includes(err.code), String(call))
  }
})

// --- Resolver ----------------------------------------------------------------------------

test('resolver options: defaults, validation, pg_trgm-compatible mode', () => {
  assert.deepEqual(resolver.config, {
    threshold: 0.72,
    metric: 'similarity',
    ambiguityMargin: 0.02,
    topK: 3,
    suggestionThreshold: 0.3,
    blockGenericWords: true,
  })
  assert.deepEqual(new Resolver(catalog, { pgTrgmCompatible: true, threshold: 0.5 }).config, {
    threshold: 0.5,
    metric: 'similarity',
    ambiguityMargin: null,
    topK: 1,
    suggestionThreshold: null,
    blockGenericWords: false,
  })
  const custom = new Resolver(catalog, {
    metric: 'word_similarity',
    ambiguityMargin: null,
    topK: 5,
    suggestionThreshold: null,
    blockGenericWords: false,
  }).config
  assert.deepEqual(custom, {
    threshold: 0.72,
    metric: 'word_similarity',
    ambiguityMargin: null,
    topK: 5,
    suggestionThreshold: null,
    blockGenericWords: false,
  })
  const cases = [
    [{ threshold: 1.5 }, 'invalid_threshold', 'invalid threshold for `threshold`: 1.5 (must be a number in [0, 1])'],
    [{ threshold: NaN }, 'invalid_threshold', /`threshold`: NaN/],
    [{ suggestionThreshold: -1 }, 'invalid_threshold', /`suggestion_threshold`: -1/],
    [{ ambiguityMargin: 2 }, 'invalid_argument', 'invalid value for `ambiguity_margin`: 2 (must be a number in [0, 1])'],
    [{ metric: 'cosine' }, 'invalid_argument', /invalid value for `metric`: "cosine"/],
    [{ topK: 0 }, 'invalid_argument', 'invalid value for `top_k`: 0 (must be at least 1)'],
    [{ topK: 2.5 }, 'invalid_argument', /`top_k`: 2\.5/],
    [{ topK: -1 }, 'invalid_argument', /`top_k`: -1/],
  ]
  for (const [options, code, message] of cases) {
    assert.throws(() => new Resolver(catalog, options), cesError(code, message), JSON.stringify(options))
  }
})

/** Every key of a decision, so a missing field (rather than a null one) is caught. */
const DECISION_KEYS = [
  'input', 'normalized', 'quantities', 'method', 'status', 'brandId', 'brandName', 'matchedText', 'score',
  'runnerUp', 'margin', 'threshold', 'candidates', 'sharedTrigrams', 'missingTrigrams', 'reason',
  'resolverVersion', 'catalogFingerprint',
].sort()

test('cascade: exact name (with quantities pulled out)', () => {
  const d = resolver.resolve('COCA COLA 1.5L')
  assert.deepEqual(Object.keys(d).sort(), DECISION_KEYS)
  assert.equal(d.input, 'COCA COLA 1.5L')
  assert.equal(d.normalized, 'coca cola')
  assert.equal(d.method, 'exact')
  assert.equal(d.status, 'resolved')
  assert.equal(d.brandId, 1)
  assert.equal(d.brandName, 'Coca-Cola')
  assert.equal(d.matchedText, 'Coca-Cola')
  assert.equal(d.score, 1)
  assert.equal(d.runnerUp, null)
  assert.equal(d.margin, null)
  assert.equal(d.reason, null)
  assert.equal(d.threshold, 0.72)
  assert.deepEqual(d.quantities, [
    { raw: '1.5L', value: 1.5, unit: 'l', canonicalValue: 1500, canonicalUnit: 'ml', packCount: null },
  ])
  assert.deepEqual(d.candidates, [
    { brandId: 1, brandName: 'Coca-Cola', matchedText: 'Coca-Cola', aliasType: 'canonical', score: 1, threshold: 0.72 },
  ])
  assert.deepEqual(d.sharedTrigrams, ces.showTrgm('coca cola'))
  assert.deepEqual(d.missingTrigrams, [])
  assert.equal(d.catalogFingerprint, catalog.fingerprint)
  assert.match(d.resolverVersion, /^ces-brands\//)
})

test('cascade: exact alias, from a string or a Buffer', () => {
  for (const input of ['coke', 'COKE', Buffer.from('Coke')]) {
    const d = resolver.resolve(input)
    assert.equal(d.method, 'alias')
    assert.equal(d.status, 'resolved')
    assert.equal(d.brandId, 1)
    assert.equal(d.matchedText, 'Coke')
    assert.equal(d.candidates[0].aliasType, 'variant')
  }
  assert.throws(
    () => resolver.resolve(Buffer.from([0x63, 0xff])),
    cesError('invalid_utf8', '`text` is not valid UTF-8 (first invalid byte at offset 1)'),
  )
})

test('cascade: fuzzy, with the exact pg_trgm score and its explanation', () => {
  const d = resolver.resolve('Datu Puti Vinegr')
  assert.equal(d.method, 'fuzzy')
  assert.equal(d.status, 'resolved')
  assert.equal(d.brandId, 2)
  assert.equal(d.score, ces.similarity('datu puti vinegr', 'datu puti vinegar'))
  assert.ok(isFloat32(d.score))
  const q = ces.showTrgm('datu puti vinegr')
  const m = new Set(ces.showTrgm('datu puti vinegar'))
  assert.deepEqual(d.sharedTrigrams, q.filter((t) => m.has(t)))
  assert.deepEqual(d.missingTrigrams, q.filter((t) => !m.has(t)))
  assert.deepEqual(d.missingTrigrams, ['egr', 'gr '])
})

test('cascade: below the threshold is unresolved, with suggestions', () => {
  const d = resolver.resolve('kopico')
  assert.equal(d.status, 'unresolved')
  assert.equal(d.method, 'none')
  assert.equal(d.brandId, null)
  assert.equal(d.score, null)
  assert.equal(d.reason, 'best score 0.4 is below its threshold 0.72')
  assert.equal(d.candidates.length, 1)
  assert.equal(d.candidates[0].brandId, 7)
  assert.equal(d.candidates[0].score, Math.fround(0.4))
  // A brand's threshold override applies to its fuzzy matches.
  const lenient = new Catalog({ brands: [{ id: 7, name: 'Kopiko', threshold: 0.35 }] })
  const d2 = new Resolver(lenient).resolve('kopico')
  assert.equal(d2.status, 'resolved')
  assert.equal(d2.threshold, 0.35)
  // So does an alias's.
  const viaAlias = new Catalog({ brands: [{ id: 7, name: 'Kopiko' }], aliases: [{ brandId: 7, alias: 'Kopiko Brown', threshold: 0.3 }] })
  assert.equal(new Resolver(viaAlias).resolve('kopico brwn').status, 'resolved')
})

test('cascade: generic words stay unresolved unless the resolver is told otherwise', () => {
  const withAlias = new Catalog({ ...SAMPLE, aliases: [...SAMPLE.aliases, { brandId: 1, alias: 'softdrinks' }] })
  const d = new Resolver(withAlias).resolve('SOFTDRINKS')
  assert.equal(d.status, 'unresolved')
  assert.equal(d.method, 'none')
  assert.equal(d.reason, 'generic word: never resolved automatically')
  assert.equal(d.candidates[0].brandId, 1)
  const open = new Resolver(withAlias, { blockGenericWords: false }).resolve('SOFTDRINKS')
  assert.equal(open.status, 'resolved')
  assert.equal(open.method, 'alias')
})

test('cascade: empty and emoji-only inputs are unresolved with a reason', () => {
  const cases = [
    ['', 'empty input'],
    ['   ', 'empty input'],
    ['🥤', 'no letters or digits to match'],
    ['🥤🍺 !!', 'no letters or digits to match'],
  ]
  for (const [input, reason] of cases) {
    const d = resolver.resolve(input)
    assert.deepEqual(Object.keys(d).sort(), DECISION_KEYS)
    assert.equal(d.status, 'unresolved', input)
    assert.equal(d.method, 'none')
    assert.equal(d.reason, reason)
    assert.equal(d.input, input)
    assert.equal(d.brandId, null)
    assert.deepEqual(d.candidates, [])
  }
  // Emoji next to a brand do not get in the way.
  assert.equal(resolver.resolve('🥤 Coke 🥤').brandId, 1)
})

test('ambiguity: a runner-up within the margin, or a tie broken by the documented order', () => {
  const c = new Catalog({ brands: [{ id: 2, name: 'Nestle Mild' }, { id: 1, name: 'Nestle Milk' }] })
  const d = new Resolver(c).resolve('nestle mil')
  assert.equal(d.status, 'ambiguous')
  assert.equal(d.method, 'fuzzy')
  assert.equal(d.brandId, 1) // equal scores: lowest id leads
  assert.equal(d.runnerUp.brandId, 2)
  assert.equal(d.margin, 0)
  assert.equal(d.reason, 'runner-up within 0.02 of the best score')
  const t = new Resolver(c, { ambiguityMargin: null }).resolve('nestle mil')
  assert.equal(t.status, 'resolved')
  assert.equal(t.brandId, 1)
  assert.equal(t.reason, 'tie broken by alias priority, then lowest brand id')
})

test('metric word_similarity matches abbreviations', () => {
  assert.equal(resolver.resolve('Alaska Evap').status, 'unresolved')
  const d = new Resolver(catalog, { metric: 'word_similarity' }).resolve('Alaska Evap')
  assert.equal(d.status, 'resolved')
  assert.equal(d.brandId, 3)
  assert.equal(d.score, ces.wordSimilarity('alaska evap', 'alaska evaporated filled milk'))
})

test('pg_trgm-compatible mode picks what the classic SQL query picks', () => {
  const brands = [
    { id: 4, name: 'Coca Cola' },
    { id: 2, name: 'CocaCola' },
    { id: 3, name: 'Coca-Cola Zero' },
    { id: 9, name: 'Pepsi Cola' },
  ]
  const c = new Catalog({ brands, normalizer: 'pg_trgm' })
  for (const threshold of [0.3, 0.5, 0.72]) {
    const r = new Resolver(c, { pgTrgmCompatible: true, threshold })
    for (const input of ['Coca Cola', 'coca-cola', 'COCACOLA', 'Pepsi', 'cola', 'xyz']) {
      // WHERE name % $1 ORDER BY similarity(name, $1) DESC, id LIMIT 1
      const hits = brands
        .map((b) => ({ id: b.id, s: ces.similarity(b.name, input) }))
        .filter((h) => h.s >= threshold)
        .sort((a, b) => b.s - a.s || a.id - b.id)
      const d = r.resolve(input)
      assert.equal(d.normalized, input)
      assert.equal(d.brandId, hits.length ? hits[0].id : null, `${input} @ ${threshold}`)
      assert.equal(d.status, hits.length ? 'resolved' : 'unresolved')
      if (hits.length) assert.equal(d.method, 'fuzzy')
    }
  }
})

// --- Batches -----------------------------------------------------------------------------

const BATCH = ['COCA COLA 1.5L', null, 'coke', 'Datu Puti Vinegr', undefined, 'softdrinks', '', '🥤', 'kopico', Buffer.from('Kopiko'), 'Alaska']

test('a null or undefined batch row is unresolved with reason "null input"', () => {
  const [d, e] = resolver.resolveBatchSync([null, undefined])
  for (const x of [d, e]) {
    assert.deepEqual(Object.keys(x).sort(), DECISION_KEYS)
    assert.equal(x.status, 'unresolved')
    assert.equal(x.method, 'none')
    assert.equal(x.reason, 'null input')
    assert.equal(x.input, '')
    assert.equal(x.brandId, null)
    assert.equal(x.catalogFingerprint, catalog.fingerprint)
  }
})

/** A decision as the columns carry it. */
const columnsOf = (decisions) => ({
  brandId: decisions.map((d) => (d.brandId === null ? NaN : d.brandId)),
  score: decisions.map((d) => bits(d.score === null ? NaN : d.score)),
  status: decisions.map((d) => d.status),
  method: decisions.map((d) => d.method),
  normalized: decisions.map((d) => d.normalized),
})

const plainColumns = (c) => {
  assert.ok(c.brandId instanceof Float64Array)
  assert.ok(c.score instanceof Float32Array)
  return { ...c, brandId: Array.from(c.brandId), score: Array.from(c.score, bits) }
}

test('resolve, resolveBatchSync, resolveBatch and the column forms agree', async () => {
  const one = BATCH.map((t) => (t === null || t === undefined ? resolver.resolveBatchSync([t])[0] : resolver.resolve(t)))
  const sync = resolver.resolveBatchSync(BATCH)
  const promise = resolver.resolveBatch(BATCH)
  assert.ok(promise instanceof Promise)
  const async = await promise
  assert.deepEqual(sync, one)
  assert.deepEqual(async, one)
  const want = columnsOf(one)
  assert.deepEqual(plainColumns(resolver.resolveColumnsSync(BATCH)), want)
  assert.deepEqual(plainColumns(await resolver.resolveColumns(BATCH)), want)
  assert.deepEqual(resolver.resolveBatchSync([]), [])
  assert.deepEqual(await resolver.resolveBatch([]), [])
  assert.deepEqual(plainColumns(resolver.resolveColumnsSync([])), columnsOf([]))
})

test('a large batch (parallel path) agrees row by row across the forms', async () => {
  const names = ['coke', 'COCA COLA', 'datu puti', 'kopico', 'alaska evap', 'softdrinks', '', null, 'Datu Puti Vinegr 1L']
  const texts = Array.from({ length: 6000 }, (_, i) => {
    const t = names[i % names.length]
    return t === null || i % 11 === 0 ? t : `${t} ${i % 7 === 0 ? '' : i % 5}`
  })
  const sync = resolver.resolveBatchSync(texts)
  assert.equal(sync.length, texts.length)
  for (const i of [0, 7, 8, 100, 5999]) {
    const want = texts[i] === null ? resolver.resolveBatchSync([null])[0] : resolver.resolve(texts[i])
    assert.deepEqual(sync[i], want, `row ${i}`)
  }
  assert.deepEqual(await resolver.resolveBatch(texts), sync)
  const want = columnsOf(sync)
  assert.deepEqual(plainColumns(resolver.resolveColumnsSync(texts)), want)
  assert.deepEqual(plainColumns(await resolver.resolveColumns(texts)), want)
})

test('batch errors: invalid_utf8 names the row (thrown sync, rejected async)', async () => {
  const texts = ['coke', null, Buffer.from([0x61, 0xc3])]
  const message = 'row 2: `texts` is not valid UTF-8 (first invalid byte at offset 1)'
  assert.throws(() => resolver.resolveBatchSync(texts), cesError('invalid_utf8', message))
  assert.throws(() => resolver.resolveColumnsSync(texts), cesError('invalid_utf8', message))
  await assert.rejects(resolver.resolveBatch(texts), cesError('invalid_utf8', message))
  await assert.rejects(resolver.resolveColumns(texts), cesError('invalid_utf8', message))
})

test('resolveBatch copies its inputs: changing them while pending does not change the result', async () => {
  const buf = Buffer.from('coke')
  const texts = ['coke', buf]
  const want = resolver.resolveBatchSync(texts)
  const pending = resolver.resolveBatch(texts)
  texts[0] = 'something else'
  buf.fill(0x7a)
  assert.deepEqual(await pending, want)
})

// --- The speech-to-text dictionary -------------------------------------------------------

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'fixtures', 'brands', 'stt_brand_dictionary.csv')

/** Rows of the STT dictionary (`brand,variant,category`; the file has no quoted fields). */
function sttRows() {
  const [header, ...lines] = readFileSync(fixture, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '')
  assert.equal(header, 'brand,variant,category')
  return lines.map((line) => {
    assert.ok(!line.includes('"'), `quoted field: ${line}`)
    const cells = line.split(',')
    assert.equal(cells.length, 3, line)
    const [brand, variant, category] = cells
    return { brand, variant, category }
  })
}

/** Brands = distinct (brand, category) pairs in order of first appearance, ids 1..; aliases = variants. */
function sttCatalog() {
  const rows = sttRows()
  const ids = new Map()
  const brands = []
  for (const { brand, category } of rows) {
    const key = `${brand}\u0000${category}`
    if (!ids.has(key)) {
      ids.set(key, brands.length + 1)
      brands.push({ id: brands.length + 1, name: brand })
    }
  }
  const aliases = rows.map((r) => ({ brandId: ids.get(`${r.brand}\u0000${r.category}`), alias: r.variant }))
  const commodity = rows.filter((r) => ['BREAD', 'RICE', 'EGGS', 'WATER'].includes(r.brand)).map((r) => r.variant)
  const genericWords = ['softdrinks', 'kape', 'sabon', 'shampoo', 'gatas', 'load', 'yosi', ...commodity]
  return { rows, ids, brands, aliases, genericWords }
}

test('STT traps: shared words are ambiguous, generic words never resolve', () => {
  const stt = sttCatalog()
  assert.ok(stt.brands.length > 50)
  const c = new Catalog({ brands: stt.brands, aliases: stt.aliases, genericWords: stt.genericWords })
  const r = new Resolver(c)

  const red = r.resolve('red')
  assert.equal(red.status, 'ambiguous')
  assert.equal(red.method, 'alias')
  const redBrands = red.candidates.map((x) => x.brandName).sort()
  assert.deepEqual(redBrands, ['MARLBORO', 'RED HORSE'])

  const smart = r.resolve('smart')
  assert.equal(smart.status, 'ambiguous')
  assert.equal(smart.method, 'exact')
  assert.deepEqual(
    smart.candidates.map((x) => x.brandId).sort((a, b) => a - b),
    [stt.ids.get('SMART\u0000Household'), stt.ids.get('SMART\u0000Telecom')],
  )
  assert.equal(smart.reason, 'the text names 2 brands')

  assert.equal(stt.genericWords.length, 14)
  for (const word of stt.genericWords) {
    for (const input of [word, word.toUpperCase(), ` ${word} `]) {
      const d = r.resolve(input)
      assert.equal(d.status, 'unresolved', input)
      assert.equal(d.brandId, null, input)
      assert.equal(d.reason, 'generic word: never resolved automatically', input)
    }
  }

  // Every other variant resolves to its own brand; the batch forms agree.
  const generic = new Set(stt.genericWords)
  const shared = new Set(['red', 'smart'])
  const rows = stt.rows.filter((row) => !generic.has(row.variant) && !shared.has(row.variant))
  const decisions = r.resolveBatchSync(rows.map((row) => row.variant))
  rows.forEach((row, i) => {
    const d = decisions[i]
    assert.equal(d.status, 'resolved', `${row.variant} (${row.brand})`)
    assert.equal(d.brandId, stt.ids.get(`${row.brand}\u0000${row.category}`), row.variant)
    assert.ok(d.method === 'exact' || d.method === 'alias', row.variant)
  })
})

// --- Triage ------------------------------------------------------------------------------

test('triage: record groups by normalised form; accept is idempotent', () => {
  const q = new TriageQueue()
  assert.equal(q.length, 0)
  assert.equal(q.record(resolver.resolve('kopico'), 100), true)
  assert.equal(q.record(resolver.resolve('KOPICO'), 200), true)
  assert.equal(q.record(resolver.resolve('Kopico'), 50), true)
  assert.equal(q.record(resolver.resolve('coke'), 300), false) // resolved: not queued
  assert.equal(q.record(resolver.resolveBatchSync([null])[0], 300), false) // no text: not queued
  assert.equal(q.length, 1)

  const item = q.get('kopico')
  assert.deepEqual(item, {
    normalized: 'kopico',
    count: 3,
    firstSeen: 50,
    lastSeen: 200,
    samples: ['kopico', 'KOPICO', 'Kopico'],
    lastStatus: 'unresolved',
    suggestions: resolver.resolve('kopico').candidates,
    status: 'open',
    mappedBrandId: null,
  })
  assert.deepEqual(q.items(), [item])
  assert.deepEqual(q.open(), [item])
  assert.equal(q.get('nothing'), null)

  const alias = q.accept('kopico', 7)
  assert.deepEqual(alias, { brandId: 7, alias: 'kopico', aliasType: 'variant' })
  assert.deepEqual(q.accept('kopico', 7), alias) // idempotent
  assert.deepEqual(q.accept('kopico', 7), alias)
  assert.equal(q.get('kopico').status, 'mapped')
  assert.equal(q.get('kopico').mappedBrandId, 7)
  assert.deepEqual(q.open(), [])
  assert.throws(
    () => q.accept('kopico', 8),
    cesError('invalid_argument', 'invalid value for `brand_id`: 8 ("kopico" is already mapped to brand 7)'),
  )

  // The alias goes straight into a new catalog, which then resolves the input.
  const next = new Catalog({ ...SAMPLE, aliases: [...SAMPLE.aliases, alias] })
  assert.notEqual(next.fingerprint, catalog.fingerprint)
  const d = new Resolver(next).resolve('KOPICO')
  assert.equal(d.status, 'resolved')
  assert.equal(d.method, 'alias')
  assert.equal(d.brandId, 7)
})

test('triage: reject, ambiguous items, JSON round trip and errors', () => {
  const c = new Catalog({ brands: [{ id: 2, name: 'Nestle Mild' }, { id: 1, name: 'Nestle Milk' }] })
  const r = new Resolver(c)
  const q = new TriageQueue()
  // A decision that went through JSON (a log, a queue) is recorded the same.
  assert.equal(q.record(JSON.parse(JSON.stringify(r.resolve('nestle mil'))), 10), true)
  assert.equal(q.record(r.resolve('zzz nestle'), 11), true)
  assert.equal(q.length, 2)
  const item = q.get('nestle mil')
  assert.equal(item.lastStatus, 'ambiguous')
  assert.deepEqual(item.suggestions.map((s) => s.brandId), [1, 2])
  assert.equal(q.reject('nestle mil'), undefined)
  assert.equal(q.get('nestle mil').status, 'ignored')
  assert.deepEqual(q.open().map((i) => i.normalized), ['zzz nestle'])

  const notQueued = 'invalid value for `normalized`: "nope" (not in the triage queue)'
  assert.throws(() => q.accept('nope', 1), cesError('invalid_argument', notQueued))
  assert.throws(() => q.reject('nope'), cesError('invalid_argument', notQueued))
  assert.throws(() => q.accept('zzz nestle', 1.5), cesError('invalid_argument', /`brand_id`: 1\.5/))
  assert.throws(() => q.record(r.resolve('zzz'), 1.5), cesError('invalid_argument', /`seen_at`: 1\.5/))
  const bad = { ...r.resolve('zzz'), status: 'maybe' }
  assert.throws(() => q.record(bad, 1), cesError('invalid_argument', /`decision\.status`: "maybe"/))
  const badCandidate = { ...r.resolve('nestle mi'), candidates: [{ ...r.resolve('nestle mi').candidates[0], aliasType: 'nick' }] }
  assert.throws(() => q.record(badCandidate, 1), cesError('invalid_argument', /^row 0: invalid value for `decision\.candidates\.alias_type`/))
})

// --- normalize and calibrate -------------------------------------------------------------

test('normalize: default, pg_trgm and explicit steps', () => {
  const out = normalize('COCA-COLA Company 1,5 L (Pack of 6)')
  assert.equal(out.text, 'coca cola')
  assert.deepEqual(out.quantities.map((q) => [q.raw, q.canonicalValue, q.canonicalUnit, q.packCount]), [
    ['1,5 L', 1500, 'ml', null],
    ['(Pack of 6)', 6, 'count', 6],
  ])
  assert.deepEqual(normalize('COCA-COLA Company 1,5 L', 'default'), normalize('COCA-COLA Company 1,5 L'))
  assert.deepEqual(normalize('COCA-COLA 1.5L', 'pg_trgm'), { text: 'COCA-COLA 1.5L', quantities: [] })
  assert.equal(normalize('CAFÉ', ['nfc', 'lowercase']).text, 'café')
  assert.equal(normalize('CAFÉ', ['lowercase', 'fold_accents']).text, 'cafe')
  assert.equal(normalize(Buffer.from('Nestlé'), ['fold_accents']).text, 'Nestle')
  assert.equal(normalize('ＣＯＫＥ', []).text, 'ＣＯＫＥ')
  assert.throws(() => normalize('x', ['stem']), cesError('invalid_argument', /unknown step/))
  assert.throws(() => normalize('x', 'none'), cesError('invalid_argument', /`normalizer`: "none"/))
  assert.throws(() => normalize(Buffer.from([0xff])), cesError('invalid_utf8'))
  // Decisions use the catalog's normaliser.
  assert.equal(resolver.resolve('COCA-COLA Company 1,5 L').normalized, normalize('COCA-COLA Company 1,5 L').text)
})

test('calibrate: precision, recall and the best threshold', () => {
  const scores = [0.9, 0.75, 0.73, 0.5, 0.2]
  const labels = [true, true, false, true, false]
  const report = calibrate(scores, labels)
  assert.equal(report.rows.length, 101)
  assert.deepEqual(report.rows.map((r) => Math.round(r.threshold * 100)), Array.from({ length: 101 }, (_, i) => i))
  const at = (t) => report.rows.find((r) => Math.abs(r.threshold - t) < 1e-9)
  assert.deepEqual(at(0.72), {
    threshold: 0.72,
    truePositives: 2,
    falsePositives: 1,
    falseNegatives: 1,
    precision: 2 / 3,
    recall: 2 / 3,
    f1: 2 / 3,
  })
  assert.equal(at(0.74).recall, 2 / 3)
  assert.equal(at(0.95).precision, null) // nothing predicted
  const best = report.rows[report.best]
  assert.equal(best.threshold, 0.5)
  assert.equal(best.f1, 6 / 7)
  assert.deepEqual(calibrate(Float32Array.from(scores), labels), report)
  // No labelled match: no F1 anywhere.
  assert.equal(calibrate([0.5], [false]).best, null)
  assert.equal(calibrate([], []).best, null)
  assert.throws(() => calibrate([0.5, 0.6], [true]), cesError('length_mismatch', '`scores` has 2 rows but `labels` has 1'))
  assert.throws(() => calibrate(new Float32Array(1), []), cesError('length_mismatch'))
})

test('calibrate on resolver scores: the column form feeds it directly', () => {
  const inputs = ['coke', 'Datu Puti Vinegr', 'kopico', 'xyz', 'Alaska Evaporated Milk']
  const truth = [true, true, true, false, true]
  const cols = resolver.resolveColumnsSync(inputs)
  const report = calibrate(cols.score, truth)
  // NaN (no score) is never a predicted match.
  assert.equal(report.rows[0].truePositives + report.rows[0].falsePositives, Array.from(cols.score).filter((s) => !Number.isNaN(s)).length)
})

// --- README ------------------------------------------------------------------------------

test('the README brand example runs without a failed assertion', () => {
  const here = dirname(fileURLToPath(import.meta.url))
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8')
  const section = readme.split('\n## Brand resolution\n')[1].split('\n## ')[0]
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
  assert.equal(blocks.length, 1)
  const code = blocks[0].replaceAll("require('ces')", `require(${JSON.stringify(join(here, '..', 'index.js'))})`)
  assert.notEqual(code, blocks[0])
  const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stderr, '', 'console.assert failures print to stderr')
})
