// Exposure-window attribution: attributeSync, attributeAsync, Attribution, markovSync,
// heuristicsSync, shapleySync. Every expected number below is worked out by hand from the
// rules in core/src/attribution/mod.rs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ces } from './helpers.mjs'

const { attributeSync, attributeAsync, Attribution, markovSync, heuristicsSync, shapleySync } = ces

const S = 1000
const H = 3600 * S
const D = 24 * H
const T = Date.UTC(2025, 0, 20, 12) // a transaction time, epoch ms

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

/** An exposure row. */
function ex(id, start, channel, interaction = 'view', more = {}) {
  return { id, key: 'c1', start, channel, interaction, campaign: 'spring', asset: `${channel}-1`, ...more }
}

/** A transaction row. */
function tx(id, time, value = 100, more = {}) {
  return { id, key: 'c1', time, value, units: 2, ...more }
}

/** model → [[exposureId, weight], …] for one run (transactions in canonical order). */
function weights(run, model) {
  return run.creditRows(model).map((r) => [r.exposureId, r.weight])
}

/** Everything a run says, as plain data (for comparing two runs). */
function everything(run) {
  const models = run.models()
  return {
    summary: run.summary(),
    models,
    credits: run.credits(),
    creditRows: run.creditRows(),
    links: models.map((m) => run.links(m)),
    unattributed: run.unattributed(),
    duplicates: run.duplicates(),
    rollups: ['channel', 'campaign', 'asset', 'day'].map((by) => run.rollup(by)),
    bootstrap: run.bootstrap('channel', { replicates: 20, seed: 7 }),
    markov: run.markov(),
    shapleyExact: run.shapleyExact(),
  }
}

/** Waits until the progress calls (queued through a threadsafe function) have all arrived. */
async function settled(calls) {
  for (let i = 0; i < 500; i++) {
    const last = calls.at(-1)
    if (last !== undefined && last[0] === last[1]) return
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

function close(actual, expected, message, eps = 1e-12) {
  assert.ok(Math.abs(actual - expected) <= eps, `${message}: ${actual} vs ${expected}`)
}

// --- the models, by hand ------------------------------------------------------------------

// Three eligible touches, oldest first: a search click 5 days before, a social view 20 hours
// before, a TV view 2 hours before; and two that never count: a TV view 2 days before (the
// view window is 1 day) and a search click an hour after the transaction.
const THREE = [
  ex(1, T - 5 * D, 'search', 'click'),
  ex(2, T - 20 * H, 'social'),
  ex(3, T - 2 * H, 'tv'),
  ex(4, T - 2 * D, 'tv'),
  ex(5, T + H, 'search', 'click'),
]

test('every rule model on three touches, checked by hand', () => {
  const models = [
    'last_touch',
    'last_click',
    'first_touch',
    'linear',
    'position_based',
    'time_decay',
    'time_decay_days',
    { model: 'position_based', first: 0.3, last: 0.5 },
    { model: 'last_non_excluded', excluded: ['tv'] },
    { model: 'time_decay', halfLifeSeconds: 86400 },
  ]
  const run = attributeSync(THREE, [tx(10, T)], { models })
  assert.ok(run instanceof Attribution)
  assert.deepEqual(run.models(), [
    'last_touch',
    'last_click',
    'first_touch',
    'linear',
    'position_based',
    'time_decay',
    'time_decay_days',
    'position_based_0.3_0.5',
    'last_non_excluded',
    'time_decay_86400s',
  ])
  assert.deepEqual(weights(run, 'last_touch'), [[3, 1]])
  assert.deepEqual(weights(run, 'last_click'), [[1, 1]])
  assert.deepEqual(weights(run, 'first_touch'), [[1, 1]])
  assert.deepEqual(weights(run, 'last_non_excluded'), [[2, 1]])
  assert.deepEqual(weights(run, 'linear'), [[1, 1 / 3], [2, 1 / 3], [3, 1 / 3]])
  const pb = weights(run, 'position_based')
  assert.deepEqual(pb.map((w) => w[0]), [1, 2, 3])
  close(pb[0][1], 0.4, 'U first')
  close(pb[1][1], 0.2, 'U middle')
  close(pb[2][1], 0.4, 'U last')
  const custom = weights(run, 'position_based_0.3_0.5')
  close(custom[0][1], 0.3, 'custom first')
  close(custom[1][1], 0.2, 'custom middle')
  close(custom[2][1], 0.5, 'custom last')
  // Time decay: w ∝ 2^(-Δ/H) with Δ = 5 d, 20 h, 2 h.
  const decay = (deltas, half) => {
    const raw = deltas.map((d) => 2 ** (-d / half))
    const sum = raw.reduce((a, b) => a + b)
    return raw.map((w) => w / sum)
  }
  const check = (name, expected) =>
    weights(run, name).forEach(([, w], i) => close(w, expected[i], `${name}[${i}]`))
  check('time_decay', decay([5 * D, 20 * H, 2 * H], 7 * D))
  check('time_decay_86400s', decay([5 * D, 20 * H, 2 * H], D))
  check('time_decay_days', decay([5 * D, 0, 0], 7 * D)) // Δ rounded down to whole days
  // Value and units are weight × the transaction's.
  for (const r of run.creditRows('linear')) {
    close(r.value, 100 / 3, 'value')
    close(r.units, 2 / 3, 'units')
  }
  const s = run.summary()
  assert.equal(s.touches, 3)
  assert.equal(s.exposures, 5)
  assert.equal(s.attributed, 1)
  // links: every eligible touch with the model's weight, 0 for the ones a single-touch
  // model does not pick.
  assert.deepEqual(
    run.links('last_click').map((l) => [l.exposureId, l.position, l.touches, l.weight]),
    [[1, 1, 3, 1], [2, 2, 3, 0], [3, 3, 3, 0]],
  )
})

test('recency ties: click beats view at the same instant, then the larger id is later', () => {
  const exposures = [
    ex(7, T - H, 'social'),
    ex(3, T - H, 'display'),
    ex(9, T - H, 'search', 'click'),
    ex(8, T - H, 'youtube', 'engaged_view'),
  ]
  const run = attributeSync(exposures, [tx(1, T)], { models: ['last_touch', 'first_touch'] })
  assert.deepEqual(weights(run, 'last_touch'), [[9, 1]])
  assert.deepEqual(weights(run, 'first_touch'), [[3, 1]])
  assert.deepEqual(run.links('last_touch').map((l) => l.exposureId), [3, 7, 8, 9])
  // Text ids order bytewise.
  const text = attributeSync(
    [ex('b', T - H, 'social'), ex('a', T - H, 'display'), ex('c', T - H, 'tv')],
    [tx('t', T)],
    { models: ['last_touch'] },
  )
  assert.deepEqual(weights(text, 'last_touch'), [['c', 1]])
})

test('windows are inclusive at both ends; an exposure after the transaction never counts', () => {
  const exposures = [
    ex(1, T - D, 'tv'), // exactly the 1-day view window
    ex(2, T - D - 1, 'social'), // one millisecond more
    ex(3, T - 30 * D, 'search', 'click'), // exactly the 30-day click window
    ex(4, T - 30 * D - 1, 'email', 'click'),
    ex(5, T - 3 * D, 'youtube', 'engaged_view'), // exactly 3 days
    ex(6, T, 'display'), // at the transaction's instant
    ex(7, T + 1, 'ooh'), // one millisecond after
  ]
  const run = attributeSync(exposures, [tx(1, T)], { models: ['linear'] })
  assert.deepEqual(run.links('linear').map((l) => l.exposureId), [3, 5, 1, 6])
  // Microsecond precision: a bigint time is epoch µs.
  const us = BigInt(T) * 1000n
  const edge = attributeSync(
    [ex(1, us - 86_400_000_000n, 'tv'), ex(2, us - 86_400_000_001n, 'social')],
    [tx(1, us)],
    { models: ['linear'] },
  )
  assert.deepEqual(edge.links('linear').map((l) => l.exposureId), [1])
})

test('interval exposures: a flight running at T counts; τ is the end of a flight', () => {
  const exposures = [
    ex(1, T - 3 * D, 'tv', 'view', { end: T + D }), // running at T
    ex(2, T - 5 * D, 'radio', 'view', { end: T - 2 * D }), // ended 2 days before: outside
    ex(3, T - 5 * D, 'ooh', 'view', { end: T - 12 * H }), // ended 12 hours before: inside
    ex(4, T + H, 'print', 'view', { end: T + 5 * H }), // starts after T
    ex(5, T - 3 * D, 'cinema', 'view', { end: null }), // no end: a point at its start
  ]
  const run = attributeSync(exposures, [tx(1, T)], {
    models: ['last_touch', 'first_touch', { model: 'time_decay', halfLifeSeconds: 86400 }],
  })
  assert.deepEqual(run.links('last_touch').map((l) => l.exposureId), [3, 1])
  assert.deepEqual(weights(run, 'last_touch'), [[1, 1]]) // τ = T + 1 day is the most recent
  assert.deepEqual(weights(run, 'first_touch'), [[3, 1]])
  // Time decay: Δ = 12 h for the flight that ended, 0 for the one still running.
  const w = weights(run, 'time_decay_86400s')
  const a = 2 ** -0.5
  close(w[0][1], a / (1 + a), 'ended flight')
  close(w[1][1], 1 / (1 + a), 'running flight')
})

test('identical exposures count once (the smallest id is kept), and are reported', () => {
  const same = { campaign: 'spring', asset: 'spot' }
  const exposures = [
    ex(9, T - H, 'tv', 'view', same),
    ex(5, T - H, 'tv', 'view', same),
    ex(6, T - H, 'tv', 'view', { ...same, asset: 'other' }), // another asset: kept
    ex(7, T - 2 * H, 'search', 'click'),
  ]
  const run = attributeSync(exposures, [tx(1, T)], { models: ['linear'] })
  assert.deepEqual(run.duplicates(), [{ exposureId: 9, exposureIndex: 0 }])
  assert.equal(run.summary().duplicateExposures, 1)
  assert.deepEqual(weights(run, 'linear'), [[7, 1 / 3], [5, 1 / 3], [6, 1 / 3]])
})

test('clickBeatsView keeps only the clicks of a transaction that has one', () => {
  const exposures = [ex(1, T - 3 * D, 'search', 'click'), ex(2, T - H, 'social')]
  const models = ['last_touch', 'linear']
  const plain = attributeSync(exposures, [tx(1, T)], { models })
  assert.deepEqual(weights(plain, 'last_touch'), [[2, 1]])
  assert.deepEqual(weights(plain, 'linear'), [[1, 0.5], [2, 0.5]])
  const cbv = attributeSync(exposures, [tx(1, T)], { models, clickBeatsView: true })
  assert.deepEqual(weights(cbv, 'last_touch'), [[1, 1]])
  assert.deepEqual(weights(cbv, 'linear'), [[1, 1]])
  // Without a click, the views stay.
  const views = attributeSync([exposures[1]], [tx(1, T)], { models, clickBeatsView: true })
  assert.deepEqual(weights(views, 'linear'), [[2, 1]])
})

test('calendar-day windows in a zone, across the spring-forward night', () => {
  // New York springs forward on 2025-03-09 (a 23-hour day).
  const view = ex(1, '2025-03-09T00:30:00-05:00', 'tv') // 05:30 UTC on the 9th
  const sale = tx(1, '2025-03-09T23:30:00-04:00') // 03:30 UTC on the 10th
  const sameDay = { windows: { defaults: { view: '0d' } }, models: ['linear'] }
  const ny = attributeSync([view], [sale], { ...sameDay, mode: 'calendar', zone: 'America/New_York' })
  assert.equal(ny.summary().attributed, 1) // the same New York day
  const utc = attributeSync([view], [sale], { ...sameDay, mode: 'calendar' })
  assert.equal(utc.summary().attributed, 0) // different UTC days
  const exact = attributeSync([view], [sale], sameDay)
  assert.equal(exact.summary().attributed, 0) // 22 hours > 0
  // A 1-day calendar window covers the rest of the exposure's day and the whole next day,
  // here 46 h 40 min of clock time; the exact window does not.
  const early = ex(2, '2025-03-08T00:10:00-05:00', 'tv')
  const late = tx(2, '2025-03-09T23:50:00-04:00')
  const oneDay = { models: ['linear'], zone: 'America/New_York' }
  assert.equal(attributeSync([early], [late], { ...oneDay, mode: 'calendar' }).summary().attributed, 1)
  assert.equal(attributeSync([early], [late], oneDay).summary().attributed, 0)
  // The day roll-up is in the zone.
  assert.deepEqual(
    ny.rollup('day').map((r) => [r.group, r.unattributed, r.conversions]),
    [['2025-03-09', false, 1]],
  )
  // The same wall-clock times without offsets, read in assumeZone, give the same run.
  const naive = attributeSync(
    [{ ...view, start: '2025-03-09T00:30:00' }],
    [{ ...sale, time: '2025-03-09 23:30' }],
    { ...sameDay, mode: 'calendar', zone: 'America/New_York', assumeZone: 'America/New_York' },
  )
  assert.deepEqual(everything(naive), everything(ny))
  // Calendar mode needs whole days.
  assert.throws(
    () => attributeSync([view], [sale], { mode: 'calendar', windows: { defaults: { view: '12h' } } }),
    cesError('invalid_argument', /calendar-day mode needs windows of whole days/),
  )
})

test('window rules: a campaign override wins over its channel rule; per interaction over all', () => {
  const exposures = [
    ex(1, T - 5 * D, 'tv', 'view', { campaign: 'launch' }),
    ex(2, T - 5 * D, 'tv', 'view', { campaign: 'always-on', asset: 'spot-2' }),
    ex(3, T - 5 * D, 'search', 'click', { campaign: 'launch' }),
  ]
  const rules = [
    { channel: 'tv', interaction: 'view', window: '1d' },
    { campaign: 'launch', window: 7 * 86400 },
  ]
  const run = attributeSync(exposures, [tx(1, T)], { models: ['linear'], windows: { rules } })
  assert.deepEqual(run.links('linear').map((l) => l.exposureId), [1, 3])
  const narrower = [...rules, { campaign: 'launch', interaction: 'view', window: '48h' }]
  const run2 = attributeSync(exposures, [tx(1, T)], { models: ['linear'], windows: { rules: narrower } })
  assert.deepEqual(run2.links('linear').map((l) => l.exposureId), [3])
  // 'none': no look-back limit.
  const none = attributeSync(exposures, [tx(1, T)], { models: ['linear'], windows: 'none' })
  assert.equal(none.summary().touches, 3)
  // A default removed: exposures that need it have no window.
  assert.throws(
    () => attributeSync(exposures, [tx(1, T)], { windows: { defaults: { view: null } } }),
    cesError('invalid_record', /exposures row 0: invalid `channel`: "tv \/ view" \(no window/),
  )
  assert.throws(
    () => attributeSync(exposures, [tx(1, T)], { windows: { rules: [{ channel: 'tv', window: '1d' }] } }),
    cesError('invalid_argument', /windows\.rules\[0\]/),
  )
  assert.throws(
    () => attributeSync(exposures, [tx(1, T)], { windows: { defaults: { click: '3 weeks' } } }),
    cesError('invalid_argument', /invalid value for `windows.defaults.click`: "3 weeks"/),
  )
})

// --- invariants on a generated data set -------------------------------------------------------

/** A small deterministic data set: 40 keys, 300 exposures, 120 transactions. */
function generated() {
  let seed = 12345
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const pick = (xs) => xs[Math.floor(rand() * xs.length)]
  const channels = ['tv', 'search', 'social', 'display', 'email']
  const interactions = ['view', 'click', 'engaged_view']
  const exposures = []
  for (let i = 0; i < 300; i++) {
    const start = T - Math.floor(rand() * 10 * D)
    exposures.push({
      id: i + 1,
      key: Math.floor(rand() * 40),
      start,
      end: rand() < 0.2 ? start + Math.floor(rand() * 2 * D) : null,
      channel: pick(channels),
      interaction: pick(interactions),
      campaign: pick(['a', 'b']),
      asset: pick(['x', 'y', 'z']),
      cost: Math.round(rand() * 100) / 10,
    })
  }
  exposures.push({ ...exposures[10], id: 1000 }) // a duplicate
  const transactions = []
  for (let i = 0; i < 120; i++) {
    transactions.push({
      id: 5000 + i,
      key: Math.floor(rand() * 45), // some keys have no exposures
      time: T - Math.floor(rand() * 6 * D),
      value: Math.round(rand() * 10000) / 100,
      units: Math.floor(rand() * 4),
    })
  }
  return { exposures, transactions }
}

const ALL_MODELS = [
  'last_touch',
  'last_click',
  'first_touch',
  'linear',
  'position_based',
  'time_decay',
  'last_non_excluded',
  'markov',
  'markov_2',
  'shapley',
  'shapley_exact',
]

/** Columns of row objects: ids and times as Float64Array, the rest as arrays. */
function columns(rows, fields, numeric) {
  const out = {}
  for (const f of fields) {
    const values = rows.map((r) => r[f])
    out[f] = numeric.includes(f) ? Float64Array.from(values, (v) => v ?? NaN) : values
  }
  return out
}

test('weights sum to 1 per transaction; credited + unattributed = totals, for every model', () => {
  const { exposures, transactions } = generated()
  const run = attributeSync(exposures, transactions, { models: ALL_MODELS })
  const s = run.summary()
  assert.equal(s.transactions, 120)
  assert.ok(s.attributed > 20 && s.unattributed > 5, JSON.stringify(s))
  assert.equal(s.attributed + s.unattributed, s.transactions)
  const unattributed = run.unattributed()
  assert.equal(unattributed.length, s.unattributed)
  close(unattributed.reduce((a, u) => a + u.value, 0), s.unattributedValue, 'unattributed value', 1e-9)
  const totalValue = transactions.reduce((a, t) => a + t.value, 0)
  const totalUnits = transactions.reduce((a, t) => a + t.units, 0)
  close(s.value, totalValue, 'value', 1e-9)
  close(s.units, totalUnits, 'units', 1e-9)
  for (const model of ALL_MODELS) {
    const c = run.credits(model)
    const perTx = new Map()
    c.transactionIndex.forEach((t, i) => perTx.set(t, (perTx.get(t) ?? 0) + c.weight[i]))
    assert.equal(perTx.size, s.attributed, model)
    for (const [t, w] of perTx) close(w, 1, `${model} transaction ${t}`, 1e-9)
    const sum = (xs) => xs.reduce((a, b) => a + b, 0)
    close(sum(c.weight) + s.unattributed, s.transactions, `${model} conversions`, 1e-9)
    close(sum(c.value) + s.unattributedValue, s.value, `${model} value`, 1e-9)
    close(sum(c.units) + s.unattributedUnits, s.units, `${model} units`, 1e-9)
    // The roll-ups reconcile the same way, bucket included.
    for (const by of ['channel', 'campaign', 'asset', 'day']) {
      const rows = run.rollup(by).filter((r) => r.model === model)
      close(sum(rows.map((r) => r.conversions)), s.transactions, `${model} by ${by}`, 1e-9)
      close(sum(rows.map((r) => r.value)), s.value, `${model} value by ${by}`, 1e-9)
    }
  }
  // Costs are rolled up next to credit, the duplicate counted once.
  const byChannel = run.rollup('channel').filter((r) => r.model === 'linear' && !r.unattributed)
  const expectedCost = exposures.slice(0, 300).reduce((a, e) => a + e.cost, 0)
  close(byChannel.reduce((a, r) => a + r.cost, 0), expectedCost, 'cost', 1e-9)
  assert.equal(run.rollup('channel').at(-1).group, '(unattributed)')
  assert.equal(run.rollup('channel').at(-1).cost, null)
  // Bootstrap: deterministic for a seed, one row per (model, group) with credit.
  const b1 = run.bootstrap('channel', { replicates: 50, seed: 42, level: 0.9 })
  assert.deepEqual(run.bootstrap('channel', { replicates: 50, seed: 42n, level: 0.9 }), b1)
  for (const r of b1) assert.ok(r.conversionsLow <= r.conversionsHigh && r.valueLow <= r.valueHigh, JSON.stringify(r))
  assert.throws(() => run.bootstrap('day'), cesError('invalid_argument', /bootstrap intervals are by channel/))
  assert.throws(() => run.credits('u_shaped'), cesError('invalid_argument', /not computed in this run/))
  assert.throws(() => run.rollup('week'), cesError('invalid_argument', /expected channel, campaign, asset or day/))
})

test('rows and typed columns give the same run; ids come back in the kind they came in', () => {
  const { exposures, transactions } = generated()
  const options = { models: ['last_touch', 'linear', 'markov', 'shapley_exact'] }
  const fromRows = attributeSync(exposures, transactions, options)
  const exCols = columns(exposures, ['id', 'key', 'start', 'channel', 'interaction', 'campaign', 'asset', 'cost'], ['id', 'key', 'start', 'cost'])
  exCols.end = Float64Array.from(exposures, (e) => e.end ?? NaN) // NaN: no end
  const txCols = columns(transactions, ['id', 'key', 'time', 'value', 'units'], ['id', 'key', 'time', 'value', 'units'])
  const fromColumns = attributeSync(exCols, txCols, options)
  const expected = everything(fromRows)
  assert.deepEqual(everything(fromColumns), expected)
  const withNulls = attributeSync({ ...exCols, end: exposures.map((e) => e.end) }, txCols, options)
  assert.deepEqual(everything(withNulls), expected)
  assert.equal(typeof fromRows.creditRows()[0].transactionId, 'number')
  // BigInt64Array ids and epoch-µs times: the same credit, ids as bigints.
  const big = (xs, f = (x) => BigInt(x)) => BigInt64Array.from(xs, f)
  const fromBig = attributeSync(
    { ...exCols, id: big(exposures.map((e) => e.id)), start: big(exposures.map((e) => e.start), (ms) => BigInt(ms) * 1000n) },
    { ...txCols, id: big(transactions.map((t) => t.id)) },
    options,
  )
  const a = fromBig.credits()
  const b = fromRows.credits()
  assert.deepEqual(a.transactionId, b.transactionId.map(BigInt))
  assert.deepEqual(a.exposureId, b.exposureId.map(BigInt))
  assert.deepEqual([a.weight, a.value, a.exposureIndex], [b.weight, b.value, b.exposureIndex])
  assert.equal(typeof fromBig.duplicates()[0].exposureId, 'bigint')
  // Dates and ISO strings with offsets are the same instants as epoch milliseconds.
  const fromDates = attributeSync(
    exposures.map((e) => ({ ...e, start: new Date(e.start), end: e.end === null ? null : new Date(e.end).toISOString() })),
    transactions.map((t) => ({ ...t, time: new Date(t.time).toISOString().replace('Z', '+00:00') })),
    options,
  )
  assert.deepEqual(everything(fromDates), expected)
})

test('string and number keys give the same credit; options.key names the key property', () => {
  const { exposures, transactions } = generated()
  const options = { models: ['linear', 'markov'] }
  const numbers = attributeSync(exposures, transactions, options)
  const strings = attributeSync(
    exposures.map((e) => ({ ...e, key: `customer-${e.key}` })),
    transactions.map((t) => ({ ...t, key: `customer-${t.key}` })),
    options,
  )
  const strip = (run) => {
    const { model, transactionIndex, exposureIndex, weight, value } = run.credits()
    return { model, transactionIndex, exposureIndex, weight, value, summary: run.summary() }
  }
  // The canonical order sorts keys numerically or bytewise, so compare credit per
  // (model, transaction, exposure).
  const byPair = (run) => {
    const c = strip(run)
    return new Map(c.model.map((m, i) => [`${m}/${c.transactionIndex[i]}/${c.exposureIndex[i]}`, c.weight[i]]))
  }
  const n = byPair(numbers)
  const s = byPair(strings)
  assert.equal(n.size, s.size)
  for (const [k, w] of n) close(s.get(k), w, k, 1e-12)
  // Totals are summed in canonical order, which differs: equal to the last bits only.
  const { value: sv, ...ss } = strip(strings).summary
  const { value: nv, ...ns } = strip(numbers).summary
  assert.deepEqual(ss, ns)
  close(sv, nv, 'total value', 1e-9)
  assert.equal(typeof strings.unattributed()[0].key, 'string')
  assert.equal(typeof numbers.unattributed()[0].key, 'number')
  // Another property as the key, in rows and in columns.
  const renamed = attributeSync(
    exposures.map(({ key, ...e }) => ({ ...e, customerId: key })),
    transactions.map(({ key, ...t }) => ({ ...t, customerId: key })),
    { ...options, key: 'customerId' },
  )
  assert.deepEqual(strip(renamed), strip(numbers))
  const txCols = columns(transactions, ['id', 'time', 'value'], ['id', 'time', 'value'])
  txCols.storeId = transactions.map((t) => t.key)
  const exCols = columns(exposures, ['id', 'start', 'end', 'channel', 'interaction', 'campaign', 'asset'], ['id', 'start'])
  exCols.storeId = Int32Array.from(exposures, (e) => e.key)
  const cols = attributeSync(exCols, txCols, { ...options, key: 'storeId' })
  assert.deepEqual(strip(cols).weight, strip(numbers).weight)
  // Keys of different kinds in the two tables cannot match.
  assert.throws(
    () => attributeSync(exposures, transactions.map((t) => ({ ...t, key: String(t.key) }))),
    cesError('invalid_argument', /match keys of both tables must be of the same kind/),
  )
})

test('attributeAsync gives the same run as attributeSync, and reports progress', async () => {
  const { exposures, transactions } = generated()
  const calls = []
  const options = { models: ALL_MODELS, onProgress: (done, total) => calls.push([done, total]) }
  const promise = attributeAsync(exposures, transactions, options)
  assert.ok(promise instanceof Promise)
  const run = await promise
  assert.ok(run instanceof Attribution)
  const sync = attributeSync(exposures, transactions, { models: ALL_MODELS })
  assert.deepEqual(everything(run), everything(sync))
  // The last calls may arrive just after the promise settles.
  await settled(calls)
  assert.ok(calls.length >= 2, JSON.stringify(calls))
  assert.deepEqual(calls[0], [0, calls[0][1]])
  const [done, total] = calls.at(-1)
  assert.ok(total > 0)
  assert.equal(done, total)
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0])
  // attributeSync takes onProgress too; its calls arrive after it returns.
  const syncCalls = []
  attributeSync(exposures, transactions, { onProgress: (d, t) => syncCalls.push([d, t]) })
  assert.deepEqual(syncCalls, [])
  await settled(syncCalls)
  assert.deepEqual(syncCalls.at(-1), [total, total])
})

test('range keeps transactions in [from, to); the others are counted out of range', () => {
  const exposures = [ex(1, T - 2 * H, 'tv')]
  const transactions = [tx(1, T - H), tx(2, T), tx(3, T + H)]
  const run = attributeSync(exposures, transactions, {
    models: ['linear'],
    range: [new Date(T - H), new Date(T + H).toISOString()],
  })
  const same = attributeSync(exposures, transactions, { models: ['linear'], range: [T - H, BigInt(T + H) * 1000n] })
  assert.deepEqual(everything(same), everything(run))
  assert.equal(run.summary().transactions, 2)
  assert.equal(run.summary().outOfRange, 1)
  assert.deepEqual(run.creditRows().map((r) => r.transactionId), [1, 2])
  assert.throws(
    () => attributeSync(exposures, transactions, { range: [T, T - 1] }),
    cesError('invalid_argument', /the range ends before it starts/),
  )
})

// --- errors -----------------------------------------------------------------------------------

test('a time-zone-naive ISO string is an error naming table, row and field, unless assumeZone', async () => {
  const exposures = [ex(1, T - H, 'tv'), ex(2, '2025-01-20T10:00:00', 'social')]
  const message = /^exposures row 1: invalid `start`: "2025-01-20T10:00:00" \(time-zone-naive/
  assert.throws(() => attributeSync(exposures, [tx(1, T)]), cesError('invalid_record', message))
  await assert.rejects(attributeAsync(exposures, [tx(1, T)]), cesError('invalid_record', message))
  assert.throws(
    () => attributeSync([ex(1, T - H, 'tv')], [tx(7, '2025-01-20')]),
    cesError('invalid_record', /^transactions row 0: invalid `time`: "2025-01-20" \(time-zone-naive/),
  )
  // Read in Berlin (UTC+1 in January): 10:00 there is 09:00 UTC.
  const run = attributeSync(exposures, [tx(1, T)], { assumeZone: 'Europe/Berlin', models: ['linear'] })
  const same = attributeSync([exposures[0], { ...exposures[1], start: '2025-01-20T09:00:00Z' }], [tx(1, T)], { models: ['linear'] })
  assert.deepEqual(everything(run), everything(same))
  // PostgreSQL's rule, as in Python: a wall-clock time that happens twice takes the later
  // instant; one in a gap is read with the offset before the jump.
  const ambiguous = attributeSync(
    [ex(1, '2025-11-02T01:30:00', 'tv')],
    [tx(1, '2025-11-02T05:30:00Z'), tx(2, '2025-11-02T06:30:00Z')],
    { assumeZone: 'America/New_York', windows: { defaults: { view: 0 } }, models: ['linear'] },
  )
  assert.deepEqual(ambiguous.creditRows().map((r) => r.transactionId), [2]) // 01:30 EST
  const gap = attributeSync(
    [ex(1, '2025-03-09T02:30:15', 'tv')],
    [tx(1, '2025-03-09T07:30:14Z'), tx(2, '2025-03-09T07:30:15Z')],
    { assumeZone: 'America/New_York', windows: { defaults: { view: 0 } }, models: ['linear'] },
  )
  assert.deepEqual(gap.creditRows().map((r) => r.transactionId), [2]) // 02:30:15 EST = 03:30:15 EDT
  assert.throws(
    () => attributeSync(exposures, [tx(1, T)], { assumeZone: 'Mars/Olympus' }),
    cesError('invalid_argument', 'invalid value for `assumeZone`: "Mars/Olympus" (not an IANA time zone name)'),
  )
  assert.throws(
    () => attributeSync([ex(1, '2025-02-30T10:00:00Z', 'tv')], [tx(1, T)]),
    cesError('invalid_record', /not an ISO-8601 date-time/),
  )
})

test('a null or missing required value is missing_value naming the row and field', async () => {
  assert.throws(
    () => attributeSync([ex(1, T, 'tv')], [tx(1, T), tx(2, T, 5, { key: null })]),
    cesError('missing_value', 'row 1: `transactions.key` is missing (null)'),
  )
  await assert.rejects(
    attributeAsync([ex(1, T, 'tv')], [tx(1, T), tx(2, T, 5, { key: undefined })]),
    cesError('missing_value', 'row 1: `transactions.key` is missing (null)'),
  )
  assert.throws(
    () => attributeSync([ex(1, T, 'tv'), ex(2, T, null)], []),
    cesError('missing_value', 'row 1: `exposures.channel` is missing (null)'),
  )
  assert.throws(
    () => attributeSync([{ ...ex(1, T, 'tv'), start: undefined }], []),
    cesError('missing_value', 'row 0: `exposures.start` is missing (null)'),
  )
  assert.throws(
    () => {
      const exposures = [{ ...ex(1, T, 'tv'), key: undefined, customerId: 'c1' }]
      return attributeSync(exposures, [{ id: 1, customerId: null, time: T, value: 1 }], { key: 'customerId' })
    },
    cesError('missing_value', 'row 0: `transactions.customerId` is missing (null)'),
  )
  assert.throws(
    () => attributeSync({ id: [1], key: [1], start: [T], channel: ['tv'], interaction: ['view'], campaign: ['c'] }, []),
    cesError('missing_value', '`exposures.asset` is missing (null)'),
  )
  assert.throws(
    () => attributeSync([ex(1, T, 'tv')], { id: [1, 2], key: [1], time: [T, T], value: [1, 2] }),
    cesError('length_mismatch', '`transactions.id` has 2 rows but `transactions.key` has 1'),
  )
})

test('bad values: NaN or negative value (the core names the row), wrong types, bad options', () => {
  assert.throws(
    () => attributeSync([ex(1, T, 'tv')], [tx(1, T), tx(2, T, NaN)]),
    cesError('invalid_record', 'transactions row 1: invalid `value`: "NaN" (must be a finite number ≥ 0)'),
  )
  assert.throws(
    () => attributeSync([ex(1, T, 'tv')], [tx(1, T, -5)]),
    cesError('invalid_record', 'transactions row 0: invalid `value`: "-5" (must be a finite number ≥ 0)'),
  )
  assert.throws(
    () => attributeSync([ex(1, T, 'tv', 'hover')], []),
    cesError('invalid_record', /exposures row 0: invalid `interaction`: "hover"/),
  )
  assert.throws(
    () => attributeSync([ex(1.5, T, 'tv')], []),
    cesError('invalid_record', /exposures row 0: invalid `id`: "1.5" \(an integer id must be a safe integer/),
  )
  assert.throws(
    () => attributeSync([ex(1, true, 'tv')], []),
    cesError('invalid_record', /exposures row 0: invalid `start`: "a value of type boolean"/),
  )
  assert.throws(
    () => attributeSync([ex(1, T, 'tv', 'view', { end: T - 1 })], []),
    cesError('invalid_record', /must not end before it starts/),
  )
  assert.throws(() => attributeSync([], [], { models: ['u_shaped'] }), cesError('invalid_argument', /unknown model/))
  assert.throws(
    () => attributeSync([], [], { models: ['linear', 'linear'] }),
    cesError('invalid_argument', /model 1 repeats model 0/),
  )
  assert.throws(
    () => attributeSync([], [], { models: [{ model: 'linear', order: 2 }] }),
    cesError('invalid_argument', /this parameter does not apply to this model/),
  )
  assert.throws(
    () => attributeSync([], [], { models: [{ model: 'position_based', first: 0.7, last: 0.6 }] }),
    cesError('invalid_argument', /0 < first \+ last ≤ 1/),
  )
  assert.throws(() => attributeSync([], [], { mode: 'fuzzy' }), cesError('invalid_argument', /expected 'exact' or 'calendar'/))
  assert.throws(() => attributeSync([], [], { zone: 'Nowhere' }), cesError('invalid_argument', /`zone`/))
  // A whole argument or row of the wrong JavaScript type throws a Node-API error at once.
  assert.throws(() => attributeSync(42, []), (err) => err instanceof Error)
  assert.throws(() => attributeSync([null], []), /exposures\[0\]/)
  assert.throws(() => attributeSync({ id: 'abc' }, []), /exposures\.id/)
})

test('empty inputs give empty results', () => {
  for (const [exposures, transactions] of [
    [[], []],
    [{ id: [], key: [], start: [], channel: [], interaction: [], campaign: [], asset: [] }, { id: [], key: [], time: [], value: [] }],
    [[ex(1, T, 'tv')], []],
    [[], [tx(1, T)]],
  ]) {
    const run = attributeSync(exposures, transactions, { models: ALL_MODELS })
    const c = run.credits()
    assert.equal(c.model.length, 0)
    assert.ok(c.weight instanceof Float64Array && c.weight.length === 0)
    assert.ok(c.transactionIndex instanceof Uint32Array)
    assert.deepEqual(run.creditRows(), [])
    assert.deepEqual(run.links('linear'), [])
    assert.deepEqual(run.duplicates(), [])
    assert.equal(run.summary().attributed, 0)
    assert.equal(run.unattributed().length, run.summary().transactions)
    assert.ok(run.rollup('channel').every((r) => r.unattributed))
  }
})

// --- data-driven models -------------------------------------------------------------------

test('Markov on two journeys: p = 0.5, both channels needed (paths and a run agree)', () => {
  const paths = [
    { path: 'a > b', conversions: 1, value: 10 },
    { path: ['a'], conversions: 0, nulls: 1 },
  ]
  const m = markovSync(paths)
  assert.equal(m.model, 'markov')
  assert.equal(m.order, 1)
  close(m.conversionProbability, 0.5, 'p', 1e-15)
  assert.deepEqual(
    m.channels.map((c) => [c.channel, c.removalEffect, c.global, c.perPath]),
    [
      ['a', 1, { conversions: 0.5, value: 5 }, { conversions: 0.5, value: 5 }],
      ['b', 1, { conversions: 0.5, value: 5 }, { conversions: 0.5, value: 5 }],
    ],
  )
  // Without either channel nothing converts (the core gives -0 for `a`).
  for (const c of m.channels) assert.ok(c.without === 0, `${c.channel}: ${c.without}`)
  assert.equal(markovSync(paths, { order: 2 }).model, 'markov_2')
  // The same journeys from events: c1 converts after a then b; c2 saw a and never bought.
  const run = attributeSync(
    [ex(1, T - 2 * H, 'a'), ex(2, T - H, 'b'), { ...ex(3, T - H, 'a'), key: 'c2' }],
    [tx(1, T, 10)],
    { models: ['markov', 'shapley', 'shapley_exact'] },
  )
  const [report] = run.markov()
  assert.deepEqual(report, m)
  assert.deepEqual(weights(run, 'markov'), [[1, 0.5], [2, 0.5]])
  assert.deepEqual(weights(run, 'shapley'), [[1, 0.5], [2, 0.5]])
  // Exact Shapley: v({a}) = 0 (a alone never converted), v({a, b}) = 1: φ = (0.5, 0.5).
  assert.deepEqual(run.shapleyExact().sets, [
    { channels: ['a', 'b'], conversions: 1, journeys: 1, value: 10, phi: [0.5, 0.5], shares: [0.5, 0.5] },
  ])
  assert.throws(() => markovSync(paths, { order: 5 }), cesError('invalid_argument', /the order must be 1, 2, 3 or 4/))
  assert.throws(
    () => markovSync([{ path: 'a >  > b', conversions: 1 }]),
    cesError('invalid_record', 'paths row 0: invalid `path`: "a >  > b" (a channel name is empty)'),
  )
  assert.throws(
    () => markovSync([{ path: 'a', conversions: -1 }]),
    cesError('invalid_record', /paths row 0: invalid `conversions`/),
  )
})

test('heuristics and Shapley on paths', () => {
  const paths = [
    { path: 'a > b > a', conversions: 2, value: 20 },
    { path: 'b', conversions: 1, nulls: 3, value: 5 },
  ]
  const h = heuristicsSync(paths)
  const row = (c) => h.find((r) => r.channel === c)
  assert.deepEqual(h.map((r) => r.channel), ['a', 'b'])
  assert.deepEqual(row('a').firstTouch, { conversions: 2, value: 20 })
  assert.deepEqual(row('a').lastTouch, { conversions: 2, value: 20 })
  assert.deepEqual(row('b').firstTouch, { conversions: 1, value: 5 })
  close(row('a').linear.conversions, 4 / 3, 'linear a')
  close(row('b').linear.value, 20 / 3 + 5, 'linear b value')
  close(row('a').positionBased.conversions, 1.6, 'U a') // 0.4 + 0.4 of 2
  close(row('b').positionBased.conversions, 0.4 + 1, 'U b') // the middle 0.2 of 2, and 1
  const j = heuristicsSync(paths, { first: 0.2, last: 0.6 })
  close(j.find((r) => r.channel === 'a').positionBased.value, 16, 'J a value')
  assert.throws(() => heuristicsSync(paths, { first: 0.8, last: 0.8 }), cesError('invalid_argument'))

  const simple = shapleySync(paths)
  assert.deepEqual(simple.sets, [])
  assert.deepEqual(simple.channels, [
    { channel: 'a', conversions: 1, value: 10 },
    { channel: 'b', conversions: 2, value: 15 },
  ])
  // Exact: v({b}) = 1/4, v({a, b}) = 1, v({a}) = 0 → φ_a = (0 + 0.75) / 2, φ_b = (0.25 + 1) / 2.
  const exact = shapleySync(paths, { exact: true })
  assert.deepEqual(exact.sets.map((s) => [s.channels, s.conversions, s.journeys]), [[['a', 'b'], 2, 2], [['b'], 1, 4]])
  const ab = exact.sets[0]
  close(ab.phi[0], 0.375, 'φ_a')
  close(ab.phi[1], 0.625, 'φ_b')
  close(exact.channels[0].conversions, 2 * 0.375, 'a credit')
  close(exact.channels[1].conversions, 2 * 0.625 + 1, 'b credit')
})
