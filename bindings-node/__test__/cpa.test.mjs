// CPA merge: cpaMergeSync, cpaMergeAsync, CpaMerge (rows, diagnostics, summary, leaderboard).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ces, CES_CODES } from './helpers.mjs'

const { cpaMergeSync, cpaMergeAsync, CpaMerge } = ces

const here = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(here, '..', '..', 'tests', 'fixtures', 'cpa')
const EVERFLOW = join(FIXTURES, 'everflow-entity-table.json')
const REDTRACK = join(FIXTURES, 'redtrack-report.json')
const MAPPING = join(FIXTURES, 'internal-affiliates.csv')
const SAMPLE_DAY = '2024-12-02' // the Everflow sample's date; the Redtrack sample has none

/** A matcher for `assert.throws` / `assert.rejects`: an `Error` with this code (and message). */
function cesError(code, message) {
  return (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, code, err.message)
    if (message instanceof RegExp) assert.match(err.message, message)
    else if (message !== undefined) assert.equal(err.message, message)
    return true
  }
}

/** Everything a merge result says, as plain data (for comparing two results). */
function everything(merge) {
  return {
    length: merge.length,
    hasFindings: merge.hasFindings,
    rows: merge.rows(),
    diagnostics: merge.diagnostics(),
    diagnosticsJson: merge.diagnosticsJson(),
    day: merge.summary(),
    week: merge.summary('week'),
    month: merge.summary('month'),
    leaderboard: merge.leaderboard(100),
  }
}

/** Runs both variants and checks they agree; returns the result. */
async function both(inputs, options) {
  const sync = cpaMergeSync(inputs, options)
  const promise = cpaMergeAsync(inputs, options)
  assert.ok(promise instanceof Promise)
  const async = await promise
  assert.ok(sync instanceof CpaMerge && async instanceof CpaMerge)
  assert.deepEqual(everything(async), everything(sync))
  return sync
}

/** Both variants fail the same way: thrown by the sync one, rejected by the async one. */
async function bothFail(inputs, options, code, message) {
  assert.throws(() => cpaMergeSync(inputs, options), cesError(code, message), `sync ${code}`)
  await assert.rejects(cpaMergeAsync(inputs, options), cesError(code, message), `async ${code}`)
}

// The mapping CSV as rows (the real file has no quoted fields), and the two samples as rows
// with their money written exactly as the JSON files have it.
function mappingRows() {
  const text = readFileSync(MAPPING, 'utf8').replace(/^\uFEFF/, '')
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l !== '')
  assert.equal(header.split(',').length, 7)
  return lines.map((line) => {
    const [source, sourceAlias, sourceId, affiliateId, affiliateLabel, advertiserId, advertiserLabel] = line.split(',')
    return { source, sourceAlias, sourceId, affiliateId, affiliateLabel, advertiserId, advertiserLabel }
  })
}
const EVERFLOW_ROWS = [
  {
    date: SAMPLE_DAY,
    affiliateId: 1,
    affiliateLabel: 'G2 - Meta',
    advertiserId: 1,
    advertiserLabel: 'CCW',
    clicks: 150,
    conversions: 25,
    revenue: '2500.00',
    payout: '1875.00',
    profit: '625.00',
  },
]
const REDTRACK_ROWS = [
  { sourceId: '66c79f91be26fd4634569658', sourceName: 'Facebook CCW', sourceAlias: 'facebook', clicks: 1523, conversions: 45, cost: '7825.50' },
  { sourceId: '62b29551c6880d00014d8c73', sourceName: 'Google Ads CCW', sourceAlias: 'google', clicks: 892, conversions: 28, cost: '1240.00' },
]

const byPath = { everflow: { path: EVERFLOW }, redtrack: { path: REDTRACK }, mapping: { path: MAPPING } }
const sampleOptions = { redtrackDate: SAMPLE_DAY }

/** Diagnostics with the mapping locations left out (`line 7` from a CSV, `mapping[5]` from rows). */
function withoutLocations(d) {
  const strip = (xs) => xs.map(({ location, ...rest }) => rest)
  return { ...d, unusedMappings: strip(d.unusedMappings), malformedMappings: strip(d.malformedMappings) }
}

// --- the real sample files ---------------------------------------------------------------

test('the real sample files by path: exact money, derived internal affiliates, CPA null without conversions', async () => {
  const merge = await both(byPath, sampleOptions)
  assert.equal(merge.length, 2)
  const [google, meta] = merge.rows()
  assert.deepEqual(meta, {
    date: '2024-12-02',
    advertiserId: 1,
    advertiserLabel: 'CCW',
    affiliateLabel: 'G2 - Meta',
    isInternal: true,
    everflowClicks: 150,
    conversions: 25,
    everflowRevenue: '2500.00',
    everflowPayout: '1875.00',
    redtrackCost: '7825.50', // the JSON's 7825.50, with its two places
    redtrackClicks: 1523,
    cost: '7825.50', // internal: the mapped Redtrack spend, not the payout
    cpa: '313.020000000000',
    everflowRows: 1,
    spendRows: 1,
  })
  // Google Ads CCW's spend maps to G2 - Google, which has no Everflow row: the cost is kept,
  // the CPA is undefined (null, never 0), and the day is flagged.
  assert.equal(google.affiliateLabel, 'G2 - Google')
  assert.equal(google.conversions, 0)
  assert.equal(google.cost, '1240.00')
  assert.equal(google.cpa, null)
  assert.equal(google.everflowRows, 0)

  const d = merge.diagnostics()
  assert.deepEqual(d.spendWithoutConversions, [
    { date: '2024-12-02', advertiserId: 1, affiliateLabel: 'G2 - Google', conversions: 0, redtrackCost: '1240.00' },
  ])
  // The BOM is read as a BOM (else no column would be found), and the four n/a rows are
  // reported with their lines.
  assert.deepEqual(
    d.malformedMappings.map((m) => [m.location, m.field, m.value]),
    [
      ['line 7', 'everflow.affiliate_label', 'n/a'],
      ['line 14', 'everflow.affiliate_label', 'n/a'],
      ['line 15', 'everflow.advertiser_id', 'n/a'],
      ['line 19', 'everflow.affiliate_label', 'n/a'],
    ],
  )
  assert.deepEqual(d.rejectedRows, [])
  assert.deepEqual(d.unmappedSpend, [])
  assert.deepEqual(d.totals, {
    everflowConversions: 25,
    everflowPayout: '1875.00',
    everflowRevenue: '2500.00',
    redtrackCost: '9065.50',
    mappedCost: '9065.50',
    unmappedCost: '0',
    excludedCost: '0',
    externalPayout: '0',
    outputCost: '9065.50',
    outputConversions: 25,
    outputRows: 2,
  })
  assert.equal(merge.hasFindings, true)
})

test('paths, strings, Buffers and row arrays give the same merge', async () => {
  const reference = cpaMergeSync(byPath, sampleOptions)
  const text = (p) => readFileSync(p, 'utf8')
  const forms = {
    paths: { everflow: { paths: [EVERFLOW] }, redtrack: { paths: [REDTRACK] }, mapping: { path: MAPPING } },
    strings: { everflow: { json: text(EVERFLOW) }, redtrack: { json: text(REDTRACK) }, mapping: { csv: text(MAPPING) } },
    buffers: {
      everflow: { json: readFileSync(EVERFLOW) },
      redtrack: { json: [readFileSync(REDTRACK)] },
      mapping: { csv: readFileSync(MAPPING) },
    },
  }
  for (const [name, inputs] of Object.entries(forms)) {
    const merge = await both(inputs, sampleOptions)
    assert.deepEqual(everything(merge), everything(reference), name)
  }
  // Rows: the same figures; only the mapping locations differ (an index instead of a line).
  const rows = await both({ everflow: EVERFLOW_ROWS, redtrack: REDTRACK_ROWS, mapping: mappingRows() }, sampleOptions)
  assert.deepEqual(rows.rows(), reference.rows())
  assert.deepEqual(withoutLocations(rows.diagnostics()), withoutLocations(reference.diagnostics()))
  assert.deepEqual(
    rows.diagnostics().malformedMappings.map((m) => m.location),
    ['mapping[5]', 'mapping[12]', 'mapping[13]', 'mapping[17]'],
  )
  // Mixed: rows for one input, a file for another.
  const mixed = await both({ everflow: EVERFLOW_ROWS, redtrack: { path: REDTRACK }, mapping: { path: MAPPING } }, sampleOptions)
  assert.deepEqual(mixed.rows(), reference.rows())
})

test('diagnostics() mirrors the core Diagnostics field by field (camelCase, money as strings)', () => {
  const camel = (v) => {
    if (Array.isArray(v)) return v.map(camel)
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), camel(x)]))
    }
    return v
  }
  const inputs = {
    everflow: [
      ...EVERFLOW_ROWS,
      ...EVERFLOW_ROWS, // an identical duplicate
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'Blue Bench', payout: 'abc' },
    ],
    redtrack: [...REDTRACK_ROWS, { sourceId: 'nowhere', sourceName: 'Tigresh Facebook CCW', clicks: 118, conversions: 1, cost: '210.72' }],
    mapping: { path: MAPPING },
  }
  const merge = cpaMergeSync(inputs, { ...sampleOptions, exclude: ['G2 - Google'] })
  const d = merge.diagnostics()
  assert.deepEqual(d, camel(JSON.parse(merge.diagnosticsJson())))
  // Every kind of finding that this input has is present.
  assert.equal(d.rejectedRows.length, 1)
  assert.equal(d.unmappedSpend[0].reason, 'not_in_mapping')
  assert.equal(d.unmappedSpend[0].cost, '210.72')
  assert.equal(d.duplicateRows[0].input, 'everflow')
  assert.deepEqual(d.duplicateRows[0].rows, [0, 1])
  assert.deepEqual(d.excludedSpend, [{ affiliateLabel: 'G2 - Google', advertiserId: 1, days: 1, cost: '1240.00' }])
  assert.equal(d.totals.unmappedCost, '210.72')
})

// --- money, CPA, summaries ---------------------------------------------------------------

const DAY = '2025-11-03'
const ext = (label, conversions, payout, more = {}) => ({
  date: DAY,
  affiliateLabel: label,
  advertiserId: 1,
  advertiserLabel: 'CCW',
  clicks: 10,
  conversions,
  revenue: '0',
  payout,
  ...more,
})
const NO_SPEND = { redtrack: [], mapping: [] }

test('money strings are exact; numbers go through their shortest round-trip text', async () => {
  const merge = await both({
    ...NO_SPEND,
    everflow: [
      ext('a', 1, 0.1 + 0.2),
      ext('b', 1, '0.30000000000000004'),
      ext('c', 2, '7825.50'),
      ext('d', 2, 7825.5),
      ext('g', 1, '1.5e3'),
    ],
  })
  const cost = Object.fromEntries(merge.rows().map((r) => [r.affiliateLabel, r.cost]))
  assert.deepEqual(cost, {
    a: '0.30000000000000004',
    b: '0.30000000000000004',
    c: '7825.50',
    d: '7825.5',
    g: '1500',
  })
  const rows = merge.rows()
  assert.equal(rows.find((r) => r.affiliateLabel === 'c').cpa, '3912.750000000000')
  for (const r of rows) {
    for (const k of ['everflowRevenue', 'everflowPayout', 'redtrackCost', 'cost']) assert.equal(typeof r[k], 'string')
    assert.equal(r.isInternal, false) // nothing is mapped: cost = payout
    assert.equal(r.cost, r.everflowPayout)
  }
})

test('large amounts stay exact; totals that a decimal cannot hold exactly are an error naming the row', async () => {
  const big = await both({ ...NO_SPEND, everflow: [ext('e', 1, '12345678901234567890.123456789')] })
  assert.equal(big.rows()[0].cost, '12345678901234567890.123456789')
  const f = await both({ ...NO_SPEND, everflow: [ext('f', 1, 1e21)] })
  assert.equal(f.rows()[0].cost, '1000000000000000000000')
  for (const call of [ces.cpaMergeSync, ces.cpaMergeAsync]) {
    await assert.rejects(
      async () => call({ ...NO_SPEND, everflow: [ext('a', 1, 0.1 + 0.2), ext('e', 1, '12345678901234567890.123456789')] }),
      (err) => err.code === 'invalid_record' && /everflow row 1/.test(err.message) && /28 significant digits/.test(err.message),
    )
  }
})

test('CPA is null with 0 conversions; the cost is kept', async () => {
  const merge = await both({ ...NO_SPEND, everflow: [ext('zero', 0, '50.00'), ext('one', 1, '50.00')] })
  const [one, zero] = merge.rows()
  assert.deepEqual([one.affiliateLabel, one.cpa], ['one', '50.000000000000'])
  assert.deepEqual([zero.affiliateLabel, zero.cpa, zero.cost], ['zero', null, '50.00'])
  const [s] = merge.summary()
  assert.equal(s.total.cost, '100.00')
  assert.equal(s.total.cpa, '100.000000000000') // 100 / 1
  assert.equal(merge.summary()[0].internal.cpa, null) // no internal rows
})

test('summaries use the ratio of sums, never the mean of row CPAs', async () => {
  // Row CPAs 100 and 1: their mean, 50.5, is not the CPA of the two together (199 / 100).
  const merge = await both({
    ...NO_SPEND,
    everflow: [
      ext('a', 1, '100'),
      ext('b', 99, '99'),
      ext('a', 0, '0', { date: '2025-11-09' }), // Sunday: same ISO week
      ext('a', 3, '30', { date: '2025-11-10', advertiserId: 2, advertiserLabel: 'EXP' }),
      ext('c', 1, '1', { date: '2025-12-01' }),
    ],
  })
  const cpas = merge.rows().map((r) => r.cpa)
  assert.deepEqual(cpas.slice(0, 2), ['100.000000000000', '1.000000000000'])
  const [day3] = merge.summary('day')
  assert.equal(day3.start, '2025-11-03')
  assert.equal(day3.total.cpa, '1.990000000000')
  assert.equal(day3.external.cpa, '1.990000000000')
  assert.equal(day3.total.rows, 2)
  assert.equal(day3.total.conversions, 100)
  assert.equal(day3.total.cost, '199')
  const week = merge.summary('week')
  assert.deepEqual(
    week.map((s) => [s.period, s.start, s.advertiserId, s.total.rows, s.total.cpa]),
    [
      ['week', '2025-11-03', 1, 3, '1.990000000000'],
      ['week', '2025-11-10', 2, 1, '10.000000000000'],
      ['week', '2025-12-01', 1, 1, '1.000000000000'],
    ],
  )
  const month = merge.summary('month')
  assert.deepEqual(
    month.map((s) => [s.start, s.advertiserId, s.advertiserLabel, s.total.cost, s.total.cpa]),
    [
      ['2025-11-01', 1, 'CCW', '199', '1.990000000000'],
      ['2025-11-01', 2, 'EXP', '30', '10.000000000000'],
      ['2025-12-01', 1, 'CCW', '1', '1.000000000000'],
    ],
  )
  assert.deepEqual(merge.summary('day'), merge.summary())
  assert.throws(() => merge.summary('year'), cesError('invalid_argument', /invalid value for `period`: "year"/))
})

test('leaderboard: top n by conversions, over a range and advertiser, ratio-of-sums CPA', async () => {
  const merge = await both({
    ...NO_SPEND,
    everflow: [
      ext('a', 1, '100'),
      ext('b', 99, '99'),
      ext('a', 4, '0', { date: '2025-11-04' }),
      ext('c', 5, '10', { date: '2025-11-05', advertiserId: 2, advertiserLabel: 'EXP' }),
    ],
  })
  const all = merge.leaderboard()
  // Ties on conversions go to the lower CPA: c (10 / 5 = 2) before a (100 / 5 = 20).
  assert.deepEqual(
    all.map((r) => [r.rank, r.affiliateLabel, r.advertiserId, r.days, r.conversions, r.cost, r.cpa, r.isInternal]),
    [
      [1, 'b', 1, 1, 99, '99', '1.000000000000', false],
      [2, 'c', 2, 1, 5, '10', '2.000000000000', false],
      [3, 'a', 1, 2, 5, '100', '20.000000000000', false],
    ],
  )
  assert.deepEqual(merge.leaderboard(10), all)
  assert.deepEqual(merge.leaderboard(1).map((r) => r.affiliateLabel), ['b'])
  assert.deepEqual(merge.leaderboard(0), [])
  assert.deepEqual(merge.leaderboard(10, { advertiser: 2 }).map((r) => r.affiliateLabel), ['c'])
  assert.deepEqual(merge.leaderboard(10, { start: '2025-11-04' }).map((r) => [r.affiliateLabel, r.conversions]), [['c', 5], ['a', 4]])
  assert.deepEqual(merge.leaderboard(10, { end: '2025-11-03' }).map((r) => r.affiliateLabel), ['b', 'a'])
  assert.deepEqual(merge.leaderboard(10, { start: '2025-11-04', end: '2025-11-04' }).map((r) => r.affiliateLabel), ['a'])
  assert.equal(merge.leaderboard(undefined, {}).length, 3)
  for (const [args, message] of [
    [[1.5], /`n`: 1.5/],
    [[-1], /`n`: -1/],
    [[NaN], /`n`: NaN/],
    [[10, { start: 'nope' }], /`start`: "nope"/],
    [[10, { start: '2025-11-05', end: '2025-11-04' }], /`range`: 2025-11-05..2025-11-04 \(the end is before the start\)/],
    [[10, { advertiser: 1.5 }], /`advertiser`: 1.5/],
  ]) {
    assert.throws(() => merge.leaderboard(...args), cesError('invalid_argument', message), String(args))
  }
})

// --- internal affiliates, ranges, dates ----------------------------------------------------

test('internal rule: derived from the mapping, include/exclude overrides, internalFromMapping', async () => {
  const inputs = { everflow: EVERFLOW_ROWS, redtrack: REDTRACK_ROWS, mapping: { path: MAPPING } }
  const meta = (m) => m.rows().find((r) => r.affiliateLabel === 'G2 - Meta')
  const derived = meta(await both(inputs, sampleOptions))
  assert.deepEqual([derived.isInternal, derived.cost], [true, '7825.50'])
  const excluded = await both(inputs, { ...sampleOptions, exclude: ['  G2  - Meta '] }) // labels are normalised
  assert.deepEqual([meta(excluded).isInternal, meta(excluded).cost], [false, '1875.00'])
  assert.deepEqual(excluded.diagnostics().excludedSpend, [{ affiliateLabel: 'G2 - Meta', advertiserId: 1, days: 1, cost: '7825.50' }])
  const off = await both(inputs, { ...sampleOptions, internalFromMapping: false })
  assert.equal(meta(off).isInternal, false)
  const included = await both(inputs, { ...sampleOptions, internalFromMapping: false, include: ['G2 - Meta'] })
  assert.equal(meta(included).isInternal, true)
  await bothFail(inputs, { ...sampleOptions, include: ['X'], exclude: ['X'] }, 'invalid_argument', /a label cannot be both included and excluded/)
})

test('start/end restrict the merge; the rest is counted in outOfRange', async () => {
  const inputs = {
    ...NO_SPEND,
    everflow: [ext('a', 1, '1', { date: '2025-11-01' }), ext('a', 1, '2', { date: '2025-11-02' }), ext('a', 1, '3', { date: '2025-11-03' })],
  }
  const dates = (m) => m.rows().map((r) => r.date)
  assert.deepEqual(dates(await both(inputs, { start: '2025-11-02' })), ['2025-11-02', '2025-11-03'])
  assert.deepEqual(dates(await both(inputs, { end: '2025-11-02' })), ['2025-11-01', '2025-11-02'])
  const one = await both(inputs, { start: '2025-11-02', end: '2025-11-02' })
  assert.deepEqual(dates(one), ['2025-11-02'])
  assert.deepEqual(one.diagnostics().outOfRange, { everflowRows: 2, redtrackRows: 0 })
  await bothFail(inputs, { start: '2025-11-03', end: '2025-11-01' }, 'invalid_argument', /the end is before the start/)
  await bothFail(inputs, { start: '11/03/2025' }, 'invalid_argument', 'invalid value for `start`: "11/03/2025" (not a date (expected YYYY-MM-DD))')
})

test('dates: Everflow epoch seconds in UTC; Redtrack timestamps in the report zone; redtrackDate', async () => {
  const mapping = [{ sourceId: 's1', affiliateLabel: 'G2 - Meta', advertiserId: '1', advertiserLabel: 'CCW' }]
  const spend = (date) => ({ date, sourceId: 's1', sourceName: 'Facebook CCW', clicks: 1, conversions: 0, cost: '1' })
  const everflow = [ext('G2 - Meta', 1, '5', { date: 1762128000 })] // 2025-11-03 00:00 UTC
  const merge = await both({
    everflow,
    mapping,
    redtrack: [
      spend('2025-11-03'),
      spend('2025-11-03T04:30:00Z'), // 23:30 on Nov 2 in New York
      spend('2025-11-03T12:00:00-05:00'),
    ],
  })
  assert.deepEqual(
    merge.rows().map((r) => [r.date, r.affiliateLabel, r.redtrackCost, r.conversions]),
    [
      ['2025-11-02', 'G2 - Meta', '1', 0],
      ['2025-11-03', 'G2 - Meta', '2', 1],
    ],
  )
  // The same instants in UTC are all on Nov 3.
  const utc = await both({ everflow, mapping, redtrack: [spend('2025-11-03T04:30:00Z')] }, { zone: 'UTC' })
  assert.deepEqual(utc.rows().map((r) => [r.date, r.redtrackCost]), [['2025-11-03', '1']])
  // A row without a date takes redtrackDate; without either it is rejected.
  const dated = await both({ everflow, mapping, redtrack: [spend(null)] }, { redtrackDate: '2025-11-03' })
  assert.equal(dated.rows()[0].redtrackCost, '1')
  const undated = await both({ everflow, mapping, redtrack: [spend(undefined)] })
  assert.deepEqual(undated.diagnostics().rejectedRows, [
    { input: 'redtrack', row: 0, location: 'redtrack[0]', field: 'date', value: 'null', reason: 'missing, and no report date was given' },
  ])
  // Everflow epoch seconds that are not midnight UTC were requested in another zone.
  const shifted = await both({ ...NO_SPEND, everflow: [ext('a', 1, '1', { date: 1762128000 + 3600 })] })
  assert.equal(shifted.length, 0)
  assert.equal(shifted.diagnostics().rejectedRows[0].field, 'date')
  assert.match(shifted.diagnostics().rejectedRows[0].reason, /not 00:00 UTC/)
  await bothFail({ everflow, mapping, redtrack: [] }, { zone: 'America/Gotham' }, 'invalid_argument', /`zone`: "America\/Gotham"/)
  await bothFail({ everflow, mapping, redtrack: [] }, { redtrackDate: 'today' }, 'invalid_argument', /`redtrack_date`: "today"/)
})

// --- bad input -------------------------------------------------------------------------------

test('bad rows are reported with input, row, field and value; strict makes the first one an error', async () => {
  const goodSpend = REDTRACK_ROWS[0]
  const inputs = {
    everflow: [
      EVERFLOW_ROWS[0],
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'x', revenue: 'abc' },
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'y', currency: 'XYZ' },
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'z', date: '2024-02-30' },
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'w', payout: NaN },
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'v', clicks: 1.5 },
      { ...EVERFLOW_ROWS[0], affiliateLabel: 'u', conversions: -2 },
      { ...EVERFLOW_ROWS[0], affiliateLabel: '   ' },
      { ...EVERFLOW_ROWS[0], affiliateLabel: 't', payout: '$12' },
    ],
    redtrack: [goodSpend, { ...goodSpend, sourceId: 'other', cost: '-5' }, { ...goodSpend, sourceId: 'inf', cost: -Infinity }],
    mapping: { path: MAPPING },
  }
  const merge = await both(inputs, sampleOptions)
  const rejected = merge.diagnostics().rejectedRows.map(({ input, row, location, field, value }) => [input, row, location, field, value])
  assert.deepEqual(rejected, [
    ['everflow', 1, 'everflow[1]', 'revenue', 'abc'],
    ['everflow', 2, 'everflow[2]', 'currency', 'XYZ'],
    ['everflow', 3, 'everflow[3]', 'date', '2024-02-30'],
    ['everflow', 4, 'everflow[4]', 'payout', 'NaN'],
    ['everflow', 5, 'everflow[5]', 'clicks', '1.5'],
    ['everflow', 6, 'everflow[6]', 'conversions', '-2'],
    ['everflow', 7, 'everflow[7]', 'affiliate_label', '   '],
    ['everflow', 8, 'everflow[8]', 'payout', '$12'],
    ['redtrack', 1, 'redtrack[1]', 'cost', '-5'],
    ['redtrack', 2, 'redtrack[2]', 'cost', '-Infinity'],
  ])
  const reasons = merge.diagnostics().rejectedRows.map((r) => r.reason)
  assert.equal(reasons[1], 'not an ISO 4217 currency code')
  assert.equal(reasons[8], 'must not be negative')
  assert.match(reasons[0], /not a decimal number/)
  // The good rows are merged; nothing bad reached the totals.
  assert.deepEqual(merge.rows().map((r) => r.affiliateLabel), ['G2 - Meta'])
  assert.equal(merge.diagnostics().totals.redtrackCost, '7825.50')

  // strict: the first problem is the error, naming the input, row, field and value.
  await bothFail(inputs, { ...sampleOptions, strict: true }, 'invalid_record', 'everflow row 1: invalid `revenue`: "abc" (not a decimal number)')
  await bothFail(
    { ...inputs, everflow: EVERFLOW_ROWS },
    { ...sampleOptions, strict: true },
    'invalid_record',
    'redtrack row 1: invalid `cost`: "-5" (must not be negative)',
  )
  await bothFail(
    { ...inputs, everflow: [{ ...EVERFLOW_ROWS[0], currency: 'XYZ' }] },
    { strict: true },
    'invalid_record',
    'everflow row 0: invalid `currency`: "XYZ" (not an ISO 4217 currency code)',
  )
  await bothFail(
    { ...inputs, everflow: [{ ...EVERFLOW_ROWS[0], date: 'yesterday' }] },
    { strict: true },
    'invalid_record',
    'everflow row 0: invalid `date`: "yesterday" (not a date (expected YYYY-MM-DD))',
  )
  // The real mapping has n/a rows: strict refuses them too, from the file and from rows.
  const clean = { everflow: EVERFLOW_ROWS, redtrack: [goodSpend] }
  await bothFail({ ...clean, mapping: { path: MAPPING } }, { ...sampleOptions, strict: true }, 'invalid_record', /^mapping row 5: invalid `everflow.affiliate_label`: "n\/a"/)
  await bothFail({ ...clean, mapping: mappingRows() }, { ...sampleOptions, strict: true }, 'invalid_record', /^mapping row 5: invalid `everflow.affiliate_label`: "n\/a"/)
  const usable = mappingRows().filter((r) => r.affiliateLabel !== 'n/a' && r.advertiserId !== 'n/a')
  const strict = await both({ ...clean, mapping: usable }, { ...sampleOptions, strict: true })
  assert.equal(strict.rows()[0].cost, '7825.50')
})

test('bad rows inside JSON files and texts are reported by the core readers', async () => {
  const redtrack = JSON.stringify([
    { source_id: 's1', source: 'ok', clicks: 1, conversions: 0, cost: '1.10' },
    { source_id: 's2', source: 'bad', clicks: 1, conversions: 0, cost: 'abc' },
    { source_id: 's3', source: 'neg', clicks: 1, conversions: 0, cost: -5 },
  ])
  const inputs = { everflow: { path: EVERFLOW }, redtrack: { json: redtrack }, mapping: { path: MAPPING } }
  const merge = await both(inputs, sampleOptions)
  assert.deepEqual(
    merge.diagnostics().rejectedRows.map(({ input, row, location, field, value }) => [input, row, location, field, value]),
    [
      ['redtrack', 1, 'row 2', 'cost', 'abc'],
      ['redtrack', 2, 'row 3', 'cost', '-5'],
    ],
  )
  await bothFail(inputs, { ...sampleOptions, strict: true }, 'invalid_record', 'redtrack row 1: invalid `cost`: "abc" (not a decimal number)')
})

test('conflicting duplicate keys are duplicate_key errors; identical duplicates are counted once', async () => {
  const twice = [EVERFLOW_ROWS[0], { ...EVERFLOW_ROWS[0], conversions: 26 }]
  const usable = mappingRows().filter((r) => r.affiliateLabel !== 'n/a' && r.advertiserId !== 'n/a')
  const base = { redtrack: REDTRACK_ROWS, mapping: usable }
  // The core cannot choose between two different rows with one key, strict or not.
  for (const strict of [false, true]) {
    await bothFail(
      { ...base, everflow: twice },
      { ...sampleOptions, strict },
      'duplicate_key',
      'everflow: rows 0 and 1 have the same key (2024-12-02 / affiliate 1 / advertiser 1) but different values',
    )
  }
  await bothFail(
    { everflow: EVERFLOW_ROWS, redtrack: [REDTRACK_ROWS[0], { ...REDTRACK_ROWS[0], cost: '1.00' }], mapping: { path: MAPPING } },
    sampleOptions,
    'duplicate_key',
    /^redtrack: rows 0 and 1 have the same key \(2024-12-02 \/ 66c79f91be26fd4634569658\)/,
  )
  const same = await both({ ...base, everflow: [EVERFLOW_ROWS[0], { ...EVERFLOW_ROWS[0] }] }, sampleOptions)
  assert.equal(same.rows().find((r) => r.affiliateLabel === 'G2 - Meta').conversions, 25)
  assert.deepEqual(same.diagnostics().duplicateRows, [{ input: 'everflow', key: '2024-12-02 / affiliate 1 / advertiser 1', rows: [0, 1] }])
  // Mapping rows for one source that disagree: reported, and that source's spend is unmapped.
  const mapping = [
    { sourceId: '66c79f91be26fd4634569658', affiliateLabel: 'G2 - Meta', advertiserId: 1, advertiserLabel: 'CCW' },
    { sourceId: '66c79f91be26fd4634569658', affiliateLabel: 'SB - Meta', advertiserId: 1, advertiserLabel: 'CCW' },
  ]
  const conflict = await both({ everflow: EVERFLOW_ROWS, redtrack: REDTRACK_ROWS, mapping }, sampleOptions)
  const d = conflict.diagnostics()
  assert.deepEqual(d.conflictingMappings, [
    { sourceId: '66c79f91be26fd4634569658', locations: ['mapping[0]', 'mapping[1]'], targets: ['G2 - Meta / 1', 'SB - Meta / 1'] },
  ])
  // Most spend first.
  assert.deepEqual(d.unmappedSpend.map((u) => [u.sourceId, u.reason, u.cost]), [
    ['66c79f91be26fd4634569658', 'conflicting_mapping', '7825.50'],
    ['62b29551c6880d00014d8c73', 'not_in_mapping', '1240.00'],
  ])
})

test('a row in another currency than the merge is invalid_record; a bad merge currency is invalid_argument', async () => {
  const eur = { ...NO_SPEND, everflow: [ext('a', 1, '1', { currency: 'EUR' })] }
  await bothFail(eur, undefined, 'invalid_record', /^everflow row 0: invalid `currency`: "EUR" \(the merge currency is USD/)
  const merged = await both(eur, { currency: 'eur' })
  assert.equal(merged.rows()[0].cost, '1')
  await bothFail(eur, { currency: 'XYZ' }, 'invalid_argument', 'invalid value for `currency`: "XYZ" (not an ISO 4217 currency code)')
})

test('documents that cannot be read are malformed_input; missing files are ENOENT', async () => {
  const mapping = { path: MAPPING }
  await bothFail({ everflow: { json: '{"table": [' }, redtrack: [], mapping }, undefined, 'malformed_input', /^everflow: not JSON/)
  await bothFail({ everflow: [], redtrack: { json: '{"nothing": 1}' }, mapping }, undefined, 'malformed_input', /^redtrack: an object without a `rows`, `items`, `data` or `results` array/)
  await bothFail({ everflow: [], redtrack: [], mapping: { csv: 'a,b\n1,2\n' } }, undefined, 'malformed_input', /^mapping: no `redtrack.source` column/)
  const missing = join(FIXTURES, 'no-such-file.json')
  await bothFail({ everflow: { path: missing }, redtrack: [], mapping }, undefined, 'ENOENT', /^everflow: cannot read ".*no-such-file.json": No such file or directory/)
  await bothFail({ everflow: [], redtrack: [], mapping: { path: FIXTURES } }, undefined, 'EISDIR', /^mapping: cannot read/)
  for (const code of ['malformed_input', 'invalid_record', 'duplicate_key']) assert.ok(CES_CODES.includes(code))
})

test('an input object needs exactly one source', async () => {
  const rest = { redtrack: [], mapping: [] }
  await bothFail({ ...rest, everflow: {} }, undefined, 'invalid_argument', /`everflow`: an object with 0 of them \(expected an array of rows or an object with exactly one of `path`, `paths`, `json`\)/)
  await bothFail({ ...rest, everflow: { path: EVERFLOW, json: '[]' } }, undefined, 'invalid_argument', /`everflow`: an object with 2 of them/)
  await bothFail({ everflow: [], redtrack: [], mapping: { path: MAPPING, csv: '' } }, undefined, 'invalid_argument', /`mapping`: an object with 2 of them/)
  // Empty inputs are a valid, empty merge.
  const empty = await both({ everflow: [], redtrack: [], mapping: [] })
  assert.equal(empty.length, 0)
  assert.deepEqual(empty.rows(), [])
  assert.equal(empty.hasFindings, false)
  assert.deepEqual(empty.summary(), [])
  assert.deepEqual(empty.leaderboard(), [])
})

test('values of the wrong JavaScript type throw a Node-API error naming the row, before any promise', () => {
  const inputs = (everflow) => ({ everflow, redtrack: [], mapping: [] })
  const cases = [
    [inputs([EVERFLOW_ROWS[0], { ...EVERFLOW_ROWS[0], clicks: '150' }]), /^everflow\[1\]: /],
    [inputs([{ ...EVERFLOW_ROWS[0], affiliateLabel: undefined }]), /^everflow\[0\]: /],
    [inputs([{ ...EVERFLOW_ROWS[0], revenue: null }]), /^everflow\[0\]: /],
    [{ everflow: [], redtrack: [{ ...REDTRACK_ROWS[0], sourceId: 5 }], mapping: [] }, /^redtrack\[0\]: /],
    [{ everflow: [], redtrack: [], mapping: [{ sourceId: {} }] }, /^mapping\[0\]: /],
    [inputs([5]), /^everflow\[0\]: /],
  ]
  for (const [args, message] of cases) {
    for (const fn of [cpaMergeSync, cpaMergeAsync]) {
      assert.throws(() => fn(args), (err) => err instanceof Error && !CES_CODES.includes(err.code) && message.test(err.message), String(message))
    }
  }
  for (const bad of [undefined, null, 5, 'x', {}, { everflow: [], redtrack: [] }, { everflow: 'x', redtrack: [], mapping: [] }]) {
    for (const fn of [cpaMergeSync, cpaMergeAsync]) {
      assert.throws(() => fn(bad), (err) => err instanceof Error && !CES_CODES.includes(err.code), String(bad))
    }
  }
  assert.throws(() => cpaMergeSync(inputs([]), { strict: 'yes' }), (err) => err instanceof Error && !CES_CODES.includes(err.code))
  assert.throws(() => new CpaMerge(), Error)
})

// --- sync/async, determinism, progress -----------------------------------------------------

/** A seeded generator (mulberry32). */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function generated(seed, days = 30) {
  const r = rng(seed)
  const labels = ['G2 - Meta', 'SB - Meta', 'G2 - Google', 'Blue Bench', 'ProfitFuel', 'Venture Beyond']
  const sources = mappingRows().map((m) => m.sourceId)
  sources.push('unmapped-1', 'unmapped-2')
  const everflow = []
  const redtrack = []
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(2025, 10, 1 + d)).toISOString().slice(0, 10)
    for (const label of labels) {
      for (const adv of [1, 2]) {
        if (r() < 0.3) continue
        const conversions = Math.floor(r() * 20)
        everflow.push({
          date,
          affiliateId: labels.indexOf(label) + 1,
          affiliateLabel: r() < 0.1 ? ` ${label}  ` : label,
          advertiserId: adv,
          advertiserLabel: adv === 1 ? 'CCW' : 'EXP',
          clicks: conversions * 7,
          conversions,
          revenue: (conversions * 100).toFixed(2),
          payout: (Math.floor(r() * 100000) / 100).toFixed(2),
        })
      }
    }
    for (const sourceId of sources) {
      if (r() < 0.4) continue
      redtrack.push({ date, sourceId, sourceName: `source ${sourceId}`, clicks: Math.floor(r() * 500), conversions: 0, cost: String(Math.floor(r() * 1e6) / 100) })
    }
  }
  return { everflow, redtrack, mapping: { path: MAPPING } }
}

function shuffled(xs, seed) {
  const r = rng(seed)
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

test('async and sync agree, and the merge is deterministic (repeats, row order of the inputs)', async () => {
  const inputs = generated(7)
  const first = await both(inputs)
  assert.ok(first.length > 300)
  const again = everything(await cpaMergeAsync(inputs))
  assert.deepEqual(again, everything(first))
  // Shuffling the input rows changes nothing but the positions the diagnostics point at.
  const shuffledMerge = cpaMergeSync({ ...inputs, everflow: shuffled(inputs.everflow, 1), redtrack: shuffled(inputs.redtrack, 2) })
  assert.deepEqual(shuffledMerge.rows(), first.rows())
  assert.deepEqual(shuffledMerge.summary('week'), first.summary('week'))
  assert.deepEqual(shuffledMerge.leaderboard(), first.leaderboard())
  assert.deepEqual(shuffledMerge.diagnostics().totals, first.diagnostics().totals)
  assert.deepEqual(shuffledMerge.diagnostics().unmappedSpend, first.diagnostics().unmappedSpend)
  // Many merges at once on the thread pool give the same answer.
  const many = await Promise.all(Array.from({ length: 8 }, () => cpaMergeAsync(inputs)))
  for (const m of many) assert.deepEqual(m.rows(), first.rows())
  // The reconciliation holds.
  const t = first.diagnostics().totals
  const cents = (s) => Math.round(Number(s) * 100)
  assert.equal(cents(t.redtrackCost), cents(t.mappedCost) + cents(t.unmappedCost))
  assert.equal(cents(t.outputCost), cents(t.mappedCost) - cents(t.excludedCost) + cents(t.externalPayout))
  assert.equal(t.outputConversions, t.everflowConversions)
  assert.equal(t.outputRows, first.length)
})

test('the inputs are copied: changing them while the promise is pending changes nothing', async () => {
  const inputs = generated(11, 5)
  const expected = cpaMergeSync(inputs).rows()
  const promise = cpaMergeAsync(inputs)
  for (const row of inputs.everflow) row.conversions = 999
  inputs.redtrack.length = 0
  assert.deepEqual((await promise).rows(), expected)
})

test('onProgress is called through a threadsafe function with (stage, done, total)', async () => {
  const inputs = generated(3, 10)
  const calls = []
  const merge = await cpaMergeAsync(inputs, { onProgress: (stage, done, total) => calls.push([stage, done, total]) })
  // The last calls may arrive just after the promise settles.
  for (let i = 0; i < 100 && !calls.some(([s, d, t]) => s === 'join' && d === t); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const stages = [...new Set(calls.map(([s]) => s))]
  assert.deepEqual(stages, ['spend', 'everflow', 'join'])
  for (const [stage, done, total] of calls) {
    assert.ok(Number.isInteger(done) && Number.isInteger(total) && done <= total, `${stage} ${done}/${total}`)
  }
  assert.deepEqual(calls[0], ['spend', 0, inputs.redtrack.length])
  assert.deepEqual(calls.find(([s, d]) => s === 'everflow' && d > 0), ['everflow', inputs.everflow.length, inputs.everflow.length])
  assert.ok(calls.some(([s, d, t]) => s === 'join' && d === t && t >= merge.length))
  assert.deepEqual(merge.rows(), cpaMergeSync(inputs).rows())

  // With the sync variant the calls are queued and arrive once the event loop runs.
  const syncCalls = []
  cpaMergeSync(inputs, { onProgress: (...args) => syncCalls.push(args) })
  assert.deepEqual(syncCalls, [])
  for (let i = 0; i < 100 && syncCalls.length < calls.length; i++) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(syncCalls, calls)
})

// --- README ----------------------------------------------------------------------------------

test('the README CPA example runs without a failed assertion', () => {
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8')
  const section = readme.split('\n## CPA merge\n')[1].split('\n## ')[0]
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
  assert.equal(blocks.length, 1)
  const code = blocks[0].replaceAll("require('ces')", `require(${JSON.stringify(join(here, '..', 'index.js'))})`)
  assert.notEqual(code, blocks[0])
  const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: join(here, '..') })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stderr, '', 'console.assert failures print to stderr')
})
