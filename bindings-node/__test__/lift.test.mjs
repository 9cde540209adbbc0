// Lift: conversion lift, Fisher's exact test, power / MDE / sample size, Welch, CUPED, ANCOVA,
// difference-in-differences (2×2 and two-way fixed effects), ratio metrics, the
// cross-correlation, lift from attribution data and experiment definitions. The golden files
// in ../../tests/fixtures/lift/ hold statsmodels' and SciPy's answers (see the README there);
// every case is checked to 1e-9 relative.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ces, CES_CODES } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(here, '..', '..', 'tests', 'fixtures', 'lift')
const REL = 1e-9
const ALTERNATIVES = ['two-sided', 'larger', 'smaller']

function load(name) {
  const doc = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'))
  assert.equal(doc.family, name)
  return doc.cases
}

/** A fixture value as a number: the files write ±∞ and NaN as strings. */
function num(v) {
  if (typeof v === 'number') return v
  if (v === 'inf') return Infinity
  if (v === '-inf') return -Infinity
  if (v === 'nan') return NaN
  return null
}

/** Collects disagreements and fails once with the first few. */
class Golden {
  constructor(name) {
    this.name = name
    this.bad = []
    this.values = 0
    this.cases = 0
    this.worst = 0
  }

  close(what, ours, anchor, tol = REL) {
    const want = num(anchor)
    this.values++
    if (want === null || Number.isNaN(want)) {
      this.bad.push(`${what}: anchor is not a number (${anchor})`)
    } else if (!Number.isFinite(want)) {
      if (ours !== want) this.bad.push(`${what}: ours ${ours}, anchor ${want}`)
    } else {
      const scale = Math.max(Math.abs(ours), Math.abs(want))
      const err = scale === 0 ? 0 : Math.abs(ours - want) / scale
      if (!(err <= tol)) this.bad.push(`${what}: ours ${ours}, anchor ${want}, rel err ${err} > ${tol}`)
      else this.worst = Math.max(this.worst, err)
    }
  }

  equal(what, ours, want) {
    this.values++
    if (ours !== want) this.bad.push(`${what}: ours ${ours}, want ${want}`)
  }

  done(minCases, t) {
    assert.deepEqual(this.bad.slice(0, 20), [], `${this.name}: ${this.bad.length} disagreements`)
    assert.ok(this.cases >= minCases, `${this.name}: only ${this.cases} cases`)
    t.diagnostic(`${this.name}: ${this.cases} cases, ${this.values} values, worst rel err ${this.worst.toExponential(2)}`)
  }
}

/** `assert.throws` matcher: an `Error` with a CES code (and a message matching `message`). */
function cesError(code, message) {
  return (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, code, err.message)
    assert.ok(CES_CODES.includes(err.code))
    if (message instanceof RegExp) assert.match(err.message, message)
    else if (message !== undefined) assert.equal(err.message, message)
    return true
  }
}

const find = (list, method) => list.find((i) => i.method === method)
const bools = (xs) => xs.map((v) => v !== 0)

// --- golden: two proportions --------------------------------------------------------------

test('conversionLift matches statsmodels (tests and intervals, every alternative)', (t) => {
  const g = new Golden('proportions')
  for (const c of load('proportions')) {
    const { count_t, n_t, count_c, n_c, alpha } = c.inputs
    const e = c.expected
    const t = { users: n_t, conversions: count_t }
    const k = { users: n_c, conversions: count_c }
    const confidence = 1 - alpha
    for (const a of ALTERNATIVES) {
      const r = ces.conversionLift(t, k, { confidence, alternative: a, fisher: 'never' })
      const z = e.ztest_pooled[a]
      const s = num(z.statistic)
      if (s !== null && Number.isFinite(s)) {
        g.close(`${c.id} pooled z ${a}`, r.pooledZ.statistic, z.statistic)
        g.close(`${c.id} pooled p ${a}`, r.pooledZ.pValue, z.pvalue)
      }
      g.equal(`${c.id} fisher never`, r.fisher, null)
      g.equal(`${c.id} alternative`, r.pooledZ.alternative, a)
    }
    const r = ces.conversionLift(t, k, { confidence })
    for (const [key, got] of [['wald_test', r.waldZ], ['score_test', r.scoreZ]]) {
      const s = num(e[key].statistic)
      if (s !== null && Number.isFinite(s)) {
        g.close(`${c.id} ${key} z`, got.statistic, e[key].statistic)
        g.close(`${c.id} ${key} p`, got.pValue, e[key].pvalue)
      }
    }
    for (const [key, m] of [['wald', 'wald'], ['agresti-caffo', 'agresti_caffo'], ['newcomb', 'newcomb']]) {
      const b = e.ci_diff[key]
      const ours = find(r.differenceIntervals, m)
      if (b && Number.isFinite(num(b[0])) && Number.isFinite(num(b[1]))) {
        g.close(`${c.id} diff ${key} low`, ours.low, b[0])
        g.close(`${c.id} diff ${key} high`, ours.high, b[1])
      }
    }
    for (const [key, m] of [['log', 'log'], ['log-adjusted', 'log_adjusted']]) {
      const b = e.ci_ratio[key]
      const ours = find(r.ratioIntervals, m)
      if (b && Number.isFinite(num(b[0])) && Number.isFinite(num(b[1]))) {
        g.close(`${c.id} ratio ${key} low`, ours.low, b[0])
        g.close(`${c.id} ratio ${key} high`, ours.high, b[1])
      }
    }
    // Score intervals: statsmodels' test (with the corrected restricted MLE) inverted exactly
    // (`score_diff_exact`: 50-digit arithmetic), every case.
    const exact = e.score_diff_exact ?? e.score_diff_refined_fixed
    const sd = find(r.differenceIntervals, 'score')
    g.close(`${c.id} diff score low`, sd.low, exact.lower)
    g.close(`${c.id} diff score high`, sd.high, exact.upper)
    const sr = find(r.ratioIntervals, 'score')
    for (const [side, v] of [['lower', sr.low], ['upper', sr.high]]) {
      if (num(e.score_ratio_refined[side]) !== null) g.close(`${c.id} ratio score ${side}`, v, e.score_ratio_refined[side])
    }
    // The configured intervals are the ones picked from the lists.
    assert.deepEqual(r.differenceInterval, find(r.differenceIntervals, 'newcomb'))
    const la = find(r.ratioIntervals, 'log_adjusted')
    assert.deepEqual(r.relativeLiftInterval, { ...la, low: la.low - 1, high: la.high - 1 })
    g.cases++
  }
  g.done(300, t)
})

test('fisherExact matches SciPy fisher_exact; conversionLift runs the same test', (t) => {
  const doc = JSON.parse(readFileSync(join(FIXTURES, 'fisher.json'), 'utf8'))
  const g = new Golden('fisher')
  for (const [a, b, c, d, alt, or, p] of doc.cases) {
    const id = `[[${a}, ${b}], [${c}, ${d}]] ${alt}`
    const f = ces.fisherExact([[a, b], [c, d]], alt)
    if (Number.isNaN(num(or))) g.equal(`${id} odds ratio NaN`, Number.isNaN(f.oddsRatio), true)
    else g.close(`${id} odds ratio`, f.oddsRatio, or)
    g.close(`${id} p`, f.pValue, p)
    if (a + b > 0 && c + d > 0) {
      const r = ces.conversionLift({ users: a + b, conversions: a }, { users: c + d, conversions: c }, {
        alternative: alt,
        fisher: 'always',
      })
      assert.deepEqual(r.fisher, f, id)
      g.equal(`${id} primary test`, r.test.method, 'fisher_exact')
    }
    g.cases++
  }
  g.done(400, t)
})

// --- golden: power, MDE, sample size ---------------------------------------------------------

test('power, MDE and sample size match statsmodels', (t) => {
  const g = new Golden('power')
  const kinds = {}
  for (const c of load('power')) {
    const i = c.inputs
    const e = c.expected
    const o = { confidence: 1 - i.alpha, alternative: i.alternative }
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1
    switch (c.kind) {
      case 'prop_power': {
        const p = ces.powerProportions(i.prop2, i.diff, i.nobs1, i.nobs1 * i.ratio, o)
        g.close(`${c.id} power`, p.power, e.power)
        g.close(`${c.id} std_null`, p.stdNull, e.std_null)
        g.close(`${c.id} std_alt`, p.stdAlternative, e.std_alt)
        g.equal(`${c.id} method`, p.method, 'normal_power')
        break
      }
      case 'cont_power': {
        const p = ces.powerMeans(i.diff, i.sd_t, i.sd_c, i.nobs1, i.nobs1 * i.ratio, o)
        g.close(`${c.id} power`, p.power, e.power)
        g.close(`${c.id} std`, p.stdNull, e.std)
        break
      }
      case 'prop_mde': {
        const run = () => ces.mdeProportions(i.prop2, i.nobs1, i.nobs1 * i.ratio, { ...o, power: i.power_target })
        if (num(e.mde) === null) {
          assert.throws(run, cesError('invalid_argument', /`power`/), c.id)
        } else {
          const m = run()
          g.close(`${c.id} mde`, m.absolute, e.mde)
          g.close(`${c.id} relative`, m.relative, m.absolute / i.prop2)
        }
        break
      }
      case 'cont_mde': {
        const m = ces.mdeMeans(1, i.sd_t, i.sd_c, i.nobs1, i.nobs1 * i.ratio, { ...o, power: i.power_target })
        g.close(`${c.id} mde`, m.absolute, e.mde)
        break
      }
      case 'prop_nobs': {
        const s = ces.sampleSizeProportions(i.prop2, i.diff, { ...o, ratio: i.ratio, power: i.power_target })
        g.close(`${c.id} nobs1`, s.nTreatmentExact, e.nobs1)
        g.equal(`${c.id} nobs1_ceil`, s.nTreatment, e.nobs1_ceil)
        g.equal(`${c.id} total`, s.total, s.nTreatment + s.nControl)
        break
      }
      case 'cont_nobs': {
        const s = ces.sampleSizeMeans(i.diff, i.sd_t, i.sd_c, { ...o, ratio: i.ratio, power: i.power_target })
        g.close(`${c.id} nobs1`, s.nTreatmentExact, e.nobs1)
        g.equal(`${c.id} nobs1_ceil`, s.nTreatment, e.nobs1_ceil)
        break
      }
      default:
        assert.fail(`unknown kind ${c.kind}`)
    }
    g.cases++
  }
  for (const [kind, n] of Object.entries(kinds)) assert.ok(n >= 50, `${kind}: ${n} cases`)
  assert.equal(Object.keys(kinds).length, 6)
  g.done(1000, t)
})

// --- golden: Welch, CUPED, ANCOVA -------------------------------------------------------------

/**
 * Welch's test against SciPy (`e` holds `mean_a`, `mean_b` and one object per alternative).
 * SciPy subtracts two double-precision means, so its statistic is only as good as
 * ε·(|m_a| + |m_b|)/|m_a − m_b|; CES subtracts them exactly. Where that makes SciPy coarser
 * than 1e-9 the tolerance is SciPy's precision (as in core/tests/lift_golden.rs), and the
 * statistic is checked against the exact value (`exact`) to 1e-9 in every case.
 */
function checkWelch(g, id, w, e, a) {
  const x = e[a]
  const cond = (Math.abs(e.mean_a) + Math.abs(e.mean_b)) / Math.abs(e.mean_a - e.mean_b)
  const tol = Math.max(8 * Number.EPSILON * cond, REL)
  const t = num(x.statistic)
  g.close(`${id} ${a} t`, w.inference.statistic, x.statistic, tol)
  g.close(`${id} ${a} p`, w.inference.pValue, x.pvalue, tol > REL ? tol * (1 + t * t) : REL)
  g.close(`${id} ${a} df`, w.inference.df, x.df)
  const abs = 8 * Number.EPSILON * (Math.abs(e.mean_a) + Math.abs(e.mean_b))
  for (const [what, ours, anchor] of [['low', w.inference.interval.low, x.ci_low], ['high', w.inference.interval.high, x.ci_high]]) {
    const want = num(anchor)
    if (tol <= REL || !Number.isFinite(want)) g.close(`${id} ${a} ${what}`, ours, anchor)
    else {
      g.values++
      if (!(Math.abs(ours - want) <= abs + REL * Math.abs(want))) g.bad.push(`${id} ${a} ${what}: ours ${ours}, anchor ${want}`)
    }
  }
}

test('welch matches SciPy ttest_ind(equal_var=False); typed arrays give identical results', (t) => {
  const g = new Golden('welch')
  for (const c of load('welch')) {
    const { a, b, alpha } = c.inputs
    const e = c.expected
    let checked = false
    for (const alt of ALTERNATIVES) {
      const s = num(e[alt].statistic)
      if (s === null || !Number.isFinite(s)) continue
      const w = ces.welch(a, b, { confidence: 1 - alpha, alternative: alt })
      if (e.exact) {
        g.close(`${c.id} exact diff`, w.inference.estimate, e.exact.mean_diff)
        g.close(`${c.id} exact t`, w.inference.statistic, e.exact.statistic)
        g.close(`${c.id} exact df`, w.inference.df, e.exact.df)
      }
      g.close(`${c.id} mean_a`, w.treatment.mean, e.mean_a)
      g.close(`${c.id} mean_b`, w.control.mean, e.mean_b)
      g.close(`${c.id} var_a`, w.treatment.variance, e.var_a)
      g.close(`${c.id} var_b`, w.control.variance, e.var_b)
      g.equal(`${c.id} reference`, w.inference.reference, 'student_t')
      checkWelch(g, c.id, w, e, alt)
      if (alt === 'two-sided') {
        const typed = ces.welch(Float64Array.from(a), Float64Array.from(b), { confidence: 1 - alpha, alternative: alt })
        assert.deepEqual(typed, w, `${c.id}: Float64Array vs array`)
        // From the summaries (the difference of the rounded means: well conditioned cases).
        const cond = (Math.abs(e.mean_a) + Math.abs(e.mean_b)) / Math.abs(e.mean_a - e.mean_b)
        if (8 * Number.EPSILON * cond <= 1e-12) {
          const s = ces.welchFromSummary(w.treatment, w.control, { confidence: 1 - alpha })
          for (const k of ['estimate', 'stdError', 'statistic', 'pValue', 'df']) g.close(`${c.id} summary ${k}`, s.inference[k], w.inference[k])
          assert.deepEqual([s.treatment, s.control], [w.treatment, w.control])
        }
      }
      checked = true
    }
    if (checked) g.cases++
  }
  g.done(250, t)
})

test('cuped and ancova match NumPy, SciPy and statsmodels; Uint8Array flags give identical results', (t) => {
  const g = new Golden('cuped')
  for (const c of load('cuped')) {
    const { y, x, treated, alpha } = c.inputs
    const e = c.expected
    const flags = bools(treated)
    for (const alt of ALTERNATIVES) {
      const r = ces.cuped(y, x, flags, { confidence: 1 - alpha, alternative: alt })
      g.close(`${c.id} theta`, r.theta, e.theta)
      g.close(`${c.id} variance_reduction`, r.varianceReduction, e.variance_reduction)
      g.close(`${c.id} mean_diff_adj`, r.adjusted.inference.estimate, e.mean_diff_adj)
      g.equal(`${c.id} method`, r.adjusted.inference.interval.method, 'cuped')
      checkWelch(g, c.id, r.adjusted, e.welch_adj, alt)
      if (alt === 'two-sided') {
        const o = e.ancova
        const k = r.ancova.classical
        g.close(`${c.id} ancova coef`, k.estimate, o.coef)
        g.close(`${c.id} ancova bse`, k.stdError, o.bse)
        g.close(`${c.id} ancova t`, k.statistic, o.tvalue)
        g.close(`${c.id} ancova p`, k.pValue, o.pvalue)
        g.close(`${c.id} ancova lo`, k.interval.low, o.conf_int[0])
        g.close(`${c.id} ancova hi`, k.interval.high, o.conf_int[1])
        g.close(`${c.id} ancova df`, r.ancova.dfResid, o.df_resid)
        const h = r.ancova.hc1
        const o1 = e.ancova_hc1
        g.close(`${c.id} hc1 bse`, h.stdError, o1.bse)
        g.close(`${c.id} hc1 z`, h.statistic, o1.zvalue)
        g.close(`${c.id} hc1 p`, h.pValue, o1.pvalue)
        g.close(`${c.id} hc1 lo`, h.interval.low, o1.conf_int[0])
        g.close(`${c.id} hc1 hi`, h.interval.high, o1.conf_int[1])
        const typed = ces.cuped(Float64Array.from(y), Float64Array.from(x), Uint8Array.from(treated), {
          confidence: 1 - alpha,
        })
        assert.deepEqual(typed, r, `${c.id}: typed arrays vs arrays`)
        assert.deepEqual(ces.ancova(y, x, flags, { confidence: 1 - alpha }), r.ancova, `${c.id}: ancova`)
      }
    }
    g.cases++
  }
  g.done(250, t)
})

// --- golden: difference-in-differences ------------------------------------------------------

function checkFit(g, id, inf, fit, stat) {
  g.close(`${id} coef`, inf.estimate, fit.coef)
  g.close(`${id} bse`, inf.stdError, fit.bse)
  g.close(`${id} ${stat}`, inf.statistic, fit[stat])
  g.close(`${id} p`, inf.pValue, fit.pvalue)
  g.close(`${id} lo`, inf.interval.low, fit.conf_int[0])
  g.close(`${id} hi`, inf.interval.high, fit.conf_int[1])
}

/** Zero-padded text ids sort like the numbers, so they get the same codes. */
const textIds = (ids) => ids.map((u) => `unit-${String(u).padStart(6, '0')}`)

test('did2x2 matches statsmodels OLS (cluster by unit, t and normal; classical)', (t) => {
  const g = new Golden('did')
  for (const c of load('did')) {
    const { unit, treated, post, y, alpha } = c.inputs
    const e = c.expected
    const data = { unit, treated: bools(treated), post: bools(post), y }
    const confidence = 1 - alpha
    const normal = ces.did2x2(data, { confidence, reference: 'normal' })
    checkFit(g, `${c.id} cluster`, normal.effect, e.cluster, 'zvalue')
    g.equal(`${c.id} cluster reference`, normal.effect.reference, 'normal')
    e.cluster.params.forEach((p, k) => g.close(`${c.id} params[${k}]`, normal.params[k], p))
    g.close(`${c.id} cluster se`, normal.clusterStdError, e.cluster.bse)
    g.close(`${c.id} classical se`, normal.classicalStdError, e.nonrobust.bse)
    g.equal(`${c.id} n_obs`, normal.nObs, e.n_obs)
    g.equal(`${c.id} n_groups`, normal.nClusters, e.n_groups)
    const t = ces.did2x2(data, { confidence })
    checkFit(g, `${c.id} cluster_t`, t.effect, e.cluster_t, 'tvalue')
    g.equal(`${c.id} cluster_t df`, t.effect.df, e.cluster_t.df)
    g.equal(`${c.id} method`, t.effect.interval.method, 'ols_cluster')
    const classical = ces.did2x2(data, { confidence, covariance: 'classical' })
    checkFit(g, `${c.id} nonrobust`, classical.effect, e.nonrobust, 'tvalue')
    g.close(`${c.id} nonrobust df`, classical.effect.df, e.nonrobust.df_resid)
    g.equal(`${c.id} classical method`, classical.effect.interval.method, 'ols')
    if (g.cases % 10 === 0) {
      const typed = {
        unit: Int32Array.from(unit),
        treated: Uint8Array.from(treated),
        post: Uint8Array.from(post),
        y: Float64Array.from(y),
      }
      assert.deepEqual(ces.did2x2(typed, { confidence }), t, `${c.id}: typed arrays`)
      assert.deepEqual(ces.did2x2({ ...data, unit: textIds(unit) }, { confidence }), t, `${c.id}: text ids`)
    }
    g.cases++
  }
  g.done(250, t)
})

test('didPanel matches statsmodels OLS on the full two-way dummy design', (t) => {
  const g = new Golden('twfe')
  for (const c of load('twfe')) {
    const { unit, period, y, d, alpha } = c.inputs
    const e = c.expected
    const data = { unit, period, treated: bools(d), y }
    const confidence = 1 - alpha
    const normal = ces.didPanel(data, { confidence, reference: 'normal' })
    checkFit(g, `${c.id} cluster`, normal.effect, e.cluster, 'zvalue')
    const t = ces.didPanel(data, { confidence })
    checkFit(g, `${c.id} cluster_t`, t.effect, e.cluster_t, 'tvalue')
    g.equal(`${c.id} df`, t.effect.df, e.cluster_t.df)
    const classical = ces.didPanel(data, { confidence, covariance: 'classical' })
    checkFit(g, `${c.id} nonrobust`, classical.effect, e.nonrobust, 'tvalue')
    g.close(`${c.id} nonrobust df`, classical.effect.df, e.nonrobust.df_resid)
    g.equal(`${c.id} nobs`, t.nObs, e.nobs)
    g.equal(`${c.id} k_params`, t.nParams, e.k_params)
    g.equal(`${c.id} n_groups`, t.nUnits, e.n_groups)
    g.equal(`${c.id} clusters`, t.nClusters, e.n_groups)
    g.equal(`${c.id} treated obs`, t.treatedObs, d.filter((v) => v).length)
    if (g.cases % 10 === 0) {
      const typed = { unit: Uint32Array.from(unit), period: Float64Array.from(period), treated: Uint8Array.from(d), y: Float64Array.from(y) }
      assert.deepEqual(ces.didPanel(typed, { confidence }), t, `${c.id}: typed arrays`)
      const text = { ...data, unit: textIds(unit), period: period.map((p) => `w${String(p).padStart(3, '0')}`) }
      assert.deepEqual(ces.didPanel(text, { confidence }), t, `${c.id}: text ids`)
    }
    g.cases++
  }
  g.done(200, t)
})

// --- golden: ratio metrics, cross-correlation -------------------------------------------------

test('ratioMetric matches the delta method computed with NumPy', (t) => {
  const g = new Golden('ratio')
  for (const c of load('ratio')) {
    const { y_t, x_t, y_c, x_c, alpha } = c.inputs
    const e = c.expected
    const m = ces.ratioMetric({ numerator: y_t, denominator: x_t }, { numerator: y_c, denominator: x_c }, {
      confidence: 1 - alpha,
      bootstrap: null,
    })
    for (const [arm, want] of [[m.treatment, e.treatment], [m.control, e.control]]) {
      g.close(`${c.id} ratio`, arm.ratio, want.ratio)
      g.close(`${c.id} se_ratio`, arm.stdError, want.se_ratio)
      g.equal(`${c.id} n`, arm.n, want.n)
      g.close(`${c.id} mean_y`, arm.numeratorSum / arm.n, want.mean_y)
      g.close(`${c.id} mean_x`, arm.denominatorSum / arm.n, want.mean_x)
    }
    g.close(`${c.id} diff`, m.difference.estimate, e.diff)
    g.close(`${c.id} se_diff`, m.difference.stdError, e.se_diff)
    g.close(`${c.id} z`, m.difference.statistic, e.z)
    g.close(`${c.id} p`, m.difference.pValue, e.pvalue)
    g.close(`${c.id} ci low`, m.difference.interval.low, e.ci_diff[0])
    g.close(`${c.id} ci high`, m.difference.interval.high, e.ci_diff[1])
    g.close(`${c.id} rel`, m.relativeLift.estimate, e.rel_lift)
    g.close(`${c.id} se_rel`, m.relativeLift.stdError, e.se_rel_lift)
    g.close(`${c.id} rel low`, m.relativeLift.interval.low, e.ci_rel_lift[0])
    g.close(`${c.id} rel high`, m.relativeLift.interval.high, e.ci_rel_lift[1])
    g.equal(`${c.id} method`, m.difference.interval.method, 'delta_method')
    g.equal(`${c.id} bootstrap`, m.bootstrap, null)
    g.cases++
  }
  g.done(250, t)
})

test('ratioMetric bootstrap: seeded, reproducible, typed arrays identical', () => {
  const [c] = load('ratio').filter((c) => c.inputs.y_t.length < 400 && c.inputs.y_c.length < 400)
  const { y_t, x_t, y_c, x_c } = c.inputs
  const t = { numerator: y_t, denominator: x_t }
  const k = { numerator: y_c, denominator: x_c }
  const a = ces.ratioMetric(t, k, { bootstrap: 500, seed: 7 })
  const b = ces.ratioMetric(
    { numerator: Float64Array.from(y_t), denominator: Float64Array.from(x_t) },
    { numerator: Float64Array.from(y_c), denominator: Float64Array.from(x_c) },
    { bootstrap: 500, seed: 7n },
  )
  assert.deepEqual(a, b)
  assert.equal(a.bootstrap.resamples, 500)
  assert.equal(a.bootstrap.seed, 7)
  assert.equal(a.bootstrap.differenceInterval.method, 'bootstrap')
  assert.ok(a.bootstrap.differenceInterval.low < a.difference.estimate)
  assert.ok(a.bootstrap.differenceInterval.high > a.difference.estimate)
  // The bootstrap SE agrees with the delta method to sampling error.
  assert.ok(Math.abs(a.bootstrap.differenceStdError / a.difference.stdError - 1) < 0.25)
  const d = ces.ratioMetric(t, k)
  assert.equal(d.bootstrap.resamples, 2000)
  assert.equal(d.bootstrap.seed, 20251124)
  const big = ces.ratioMetric(t, k, { bootstrap: 100, seed: 2n ** 63n + 5n })
  assert.equal(big.bootstrap.seed, 2n ** 63n + 5n)
  const larger = ces.ratioMetric(t, k, { bootstrap: 200, alternative: 'larger' })
  assert.equal(larger.bootstrap.differenceInterval.high, Infinity)
  assert.equal(larger.difference.interval.high, Infinity)
})

test('ccf matches statsmodels ccf(adjusted=True) at every lag, both directions', (t) => {
  const g = new Golden('ccf')
  for (const c of load('ccf')) {
    const { x, y, nlags, alpha } = c.inputs
    const e = c.expected
    const maxLag = nlags - 1
    const r = ces.ccf(x, y, maxLag, { confidence: 1 - alpha })
    g.equal(`${c.id} length`, r.values.length, 2 * maxLag + 1)
    g.equal(`${c.id} n`, r.n, x.length)
    for (let k = 0; k <= maxLag; k++) {
      g.equal(`${c.id} lag ${k}`, r.lags[maxLag + k], k)
      g.equal(`${c.id} lag -${k}`, r.lags[maxLag - k], -k)
      g.close(`${c.id} ccf(sales, exposure)[${k}]`, r.values[maxLag + k], e.ccf_yx[k])
      g.close(`${c.id} ccf(exposure, sales)[${k}]`, r.values[maxLag - k], e.ccf_xy[k])
    }
    const [lo, hi] = e.confint_xy[0]
    g.close(`${c.id} band`, r.band, (hi - lo) / 2)
    const significant = r.lags.filter((_, i) => Math.abs(r.values[i]) > r.band)
    assert.deepEqual(r.significantLags, significant)
    if (g.cases % 10 === 0) assert.deepEqual(ces.ccf(Float64Array.from(x), Float64Array.from(y), maxLag, { confidence: 1 - alpha }), r)
    g.cases++
  }
  g.done(250, t)
})

// --- conversion lift: the rest -----------------------------------------------------------------

test('conversionLift: revenue, spend, iROAS, methods and Fisher', () => {
  const r = ces.conversionLift(
    { users: 10000, conversions: 560, revenue: 28000 },
    { users: 10000, conversions: 500, revenue: 25000 },
    { spend: 1500 },
  )
  assert.ok(Math.abs(r.absoluteLift - 0.006) < 1e-15)
  assert.equal(r.incrementalConversions, 60)
  assert.equal(r.incrementalRevenue, 3000)
  assert.equal(r.iroas, 2)
  assert.equal(r.costPerIncrementalConversion, 25)
  assert.equal(r.differenceInterval.method, 'newcomb')
  assert.equal(r.relativeLiftInterval.method, 'log_adjusted')
  assert.equal(r.fisher, null) // large counts: no Fisher test in 'auto'
  assert.equal(r.test.method, 'pooled_z')
  assert.deepEqual(r.treatment, { users: 10000, conversions: 560, revenue: 28000 })
  assert.deepEqual(r.differenceIntervals.map((i) => i.method), ['wald', 'agresti_caffo', 'newcomb', 'score'])
  assert.deepEqual(r.ratioIntervals.map((i) => i.method), ['log', 'log_adjusted', 'score'])
  const plain = ces.conversionLift({ users: 10000, conversions: 560 }, { users: 10000, conversions: 500 })
  assert.equal(plain.incrementalRevenue, null)
  assert.equal(plain.iroas, null)
  assert.equal(plain.spend, null)
  const picked = ces.conversionLift({ users: 500, conversions: 40 }, { users: 500, conversions: 25 }, {
    differenceMethod: 'agresti-caffo',
    ratioMethod: 'score',
    alternative: 'greater',
  })
  assert.equal(picked.differenceInterval.method, 'agresti_caffo')
  assert.equal(picked.relativeLiftInterval.method, 'score')
  assert.equal(picked.test.alternative, 'larger')
  // Small counts: Fisher's exact test runs in 'auto' and is the primary test.
  const small = ces.conversionLift({ users: 20, conversions: 6 }, { users: 20, conversions: 1 })
  assert.notEqual(small.fisher, null)
  assert.equal(small.test.method, 'fisher_exact')
  assert.equal(small.test.pValue, small.fisher.pValue)
  assert.deepEqual(small.fisher, ces.fisherExact([[6, 14], [1, 19]]))
  assert.equal(ces.conversionLift({ users: 20, conversions: 6 }, { users: 20, conversions: 1 }, { fisher: 'never' }).fisher, null)
  // Edge values come back as JavaScript numbers.
  const zero = ces.conversionLift({ users: 100, conversions: 3 }, { users: 100, conversions: 0 }, { fisher: 'never' })
  assert.equal(zero.relativeLift, Infinity)
  assert.equal(find(zero.ratioIntervals, 'score').high, Infinity)
  const none = ces.conversionLift({ users: 100, conversions: 0 }, { users: 100, conversions: 0 }, { fisher: 'never' })
  assert.ok(Number.isNaN(none.relativeLift))
})

test('conversionLiftBatch: one entry per pair, failures in place with code, field and row', () => {
  const good = [
    { treatment: { users: 1000, conversions: 60 }, control: { users: 1000, conversions: 50 } },
    { treatment: { users: 2000, conversions: 90, revenue: 900 }, control: { users: 1800, conversions: 70, revenue: 700 } },
  ]
  const pairs = [
    good[0],
    { treatment: { users: null, conversions: 5 }, control: { users: 100, conversions: 4 } },
    { treatment: { users: 100, conversions: 5 }, control: { users: 100, conversions: 400 } },
    good[1],
    { treatment: { users: -3, conversions: 0 }, control: { users: 100, conversions: 4 } },
  ]
  const out = ces.conversionLiftBatch(pairs, { confidence: 0.9 })
  assert.equal(out.length, pairs.length)
  assert.deepEqual(out[0], ces.conversionLift(good[0].treatment, good[0].control, { confidence: 0.9 }))
  assert.deepEqual(out[3], ces.conversionLift(good[1].treatment, good[1].control, { confidence: 0.9 }))
  assert.deepEqual(out[1], {
    error: { code: 'missing_value', message: '`treatment.users` is missing (null)', field: 'treatment.users', row: 1 },
  })
  assert.equal(out[2].error.code, 'invalid_argument')
  assert.equal(out[2].error.field, 'control.conversions')
  assert.equal(out[2].error.row, 2)
  assert.match(out[2].error.message, /more conversions than users/)
  assert.equal(out[4].error.field, 'treatment.users')
  assert.equal(out[4].error.row, 4)
  // A bad confidence fails every entry (and drops none).
  const bad = ces.conversionLiftBatch(good, { confidence: 2 })
  assert.deepEqual(bad.map((r) => [r.error.code, r.error.field, r.error.row]), [
    ['invalid_argument', 'confidence', 0],
    ['invalid_argument', 'confidence', 1],
  ])
  assert.deepEqual(ces.conversionLiftBatch([]), [])
  // Many pairs (parallel in the core): same answers as one by one.
  const many = Array.from({ length: 300 }, (_, i) => ({
    treatment: { users: 1000 + i, conversions: 50 + (i % 17) },
    control: { users: 1000, conversions: 50 },
  }))
  const batch = ces.conversionLiftBatch(many)
  many.forEach((p, i) => assert.deepEqual(batch[i], ces.conversionLift(p.treatment, p.control)))
})

test('fisherExact: SciPy conventions', () => {
  const f = ces.fisherExact([[8, 2], [1, 5]])
  assert.equal(f.oddsRatio, 20)
  assert.equal(f.alternative, 'two-sided')
  assert.ok(f.pValue > 0 && f.pValue < 0.05)
  const greater = ces.fisherExact([[8, 2], [1, 5]], 'greater')
  assert.equal(greater.alternative, 'larger')
  assert.ok(greater.pValue <= f.pValue)
  const less = ces.fisherExact([[8, 2], [1, 5]], 'smaller')
  assert.ok(less.pValue > 0.9)
  assert.equal(ces.fisherExact([[0, 5], [0, 5]]).pValue, 1)
})

// --- power: sanity ----------------------------------------------------------------------------

test('power, MDE and sample size agree with each other', () => {
  const s = ces.sampleSizeProportions(0.05, 0.01, { power: 0.8 })
  assert.ok(s.nTreatment >= s.nTreatmentExact && s.nTreatment - s.nTreatmentExact < 1)
  assert.equal(s.nControl, s.nTreatment)
  assert.ok(s.power >= 0.8)
  const p = ces.powerProportions(0.05, 0.01, s.nTreatmentExact, s.nTreatmentExact)
  assert.ok(Math.abs(p.power - 0.8) < 1e-9)
  const m = ces.mdeProportions(0.05, s.nTreatmentExact, s.nTreatmentExact)
  assert.ok(Math.abs(m.absolute - 0.01) < 1e-9)
  assert.ok(Math.abs(m.relative - 0.2) < 1e-7)
  const down = ces.mdeProportions(0.05, 10000, 10000, { alternative: 'smaller' })
  assert.ok(down.absolute < 0)
  const se = ces.powerFromSe(2, 1)
  assert.ok(Number.isNaN(se.nTreatment) && Number.isNaN(se.nControl))
  assert.equal(se.stdNull, 1)
  const n = ces.sampleSizeMeans(5, 20, 20, { ratio: 2 })
  assert.equal(n.nControl, Math.ceil(2 * n.nTreatmentExact))
  const pm = ces.powerMeans(5, 20, 20, n.nTreatmentExact, 2 * n.nTreatmentExact)
  assert.ok(Math.abs(pm.power - 0.8) < 1e-9)
  assert.ok(Math.abs(ces.mdeMeans(100, 20, 20, n.nTreatmentExact, 2 * n.nTreatmentExact).relative - 0.05) < 1e-9)
})

// --- experiment definitions ---------------------------------------------------------------------

test('validateExperiment fills defaults and names the field it rejects', () => {
  const def = {
    key: '2025-q3-launch',
    testType: 'conversion',
    metric: 'conversion_rate',
    variants: [
      { name: 'control', isControl: true, trafficWeight: 50 },
      { name: 'new-banner', trafficWeight: 50 },
    ],
    start: '2025-07-01T00:00:00Z',
    end: new Date('2025-08-01T00:00:00Z'),
  }
  const v = ces.validateExperiment(def)
  assert.deepEqual(v, {
    key: '2025-q3-launch',
    name: '',
    testType: 'conversion',
    metric: 'conversion_rate',
    campaign: null,
    variants: [
      { name: 'control', isControl: true, trafficWeight: 50 },
      { name: 'new-banner', isControl: false, trafficWeight: 50 },
    ],
    confidence: 0.95,
    mde: 0.05,
    mdeKind: 'relative',
    alternative: 'two-sided',
    start: Date.parse('2025-07-01T00:00:00Z'),
    end: Date.parse('2025-08-01T00:00:00Z'),
  })
  const bad = (patch, code, field) =>
    assert.throws(() => ces.validateExperiment({ ...def, ...patch }), cesError(code, new RegExp(`\`${field.replace(/[[\].]/g, '\\$&')}\``)))
  bad({ variants: [def.variants[0], { name: 'b', trafficWeight: 40 }] }, 'invalid_argument', 'variants.trafficWeight')
  bad({ variants: [def.variants[0], { name: 'b', trafficWeight: 150 }] }, 'invalid_argument', 'variants[1].trafficWeight')
  bad({ variants: [def.variants[0], { name: 'b', trafficWeight: null }] }, 'missing_value', 'variants[1].trafficWeight')
  bad({ variants: [def.variants[0], { ...def.variants[0], name: 'b' }] }, 'invalid_argument', 'variants.isControl')
  bad({ variants: [def.variants[0], { name: 'control', trafficWeight: 50 }] }, 'invalid_argument', 'variants[1].name')
  bad({ testType: 'ab' }, 'invalid_argument', 'testType')
  bad({ confidence: 1 }, 'invalid_argument', 'confidence')
  bad({ mde: 0 }, 'invalid_argument', 'mde')
  bad({ mdeKind: 'percent' }, 'invalid_argument', 'mdeKind')
  bad({ end: '2025-06-01T00:00:00Z' }, 'invalid_argument', 'end')
  bad({ start: '2025-07-01T00:00:00' }, 'invalid_argument', 'start')
  bad({ key: ' ' }, 'invalid_argument', 'key')
})

// --- bad input ------------------------------------------------------------------------------------

test('bad inputs throw errors with the core code, naming the field and row (never a panic)', () => {
  const arm = { users: 100, conversions: 10 }
  const cases = [
    [() => ces.conversionLift({ users: -5, conversions: 0 }, arm), 'invalid_argument', /`treatment\.users`: -5/],
    [() => ces.conversionLift({ users: NaN, conversions: 0 }, arm), 'invalid_argument', /`treatment\.users`: NaN/],
    [() => ces.conversionLift(arm, { users: 10, conversions: 11 }), 'invalid_argument', /`control\.conversions`/],
    [() => ces.conversionLift(arm, { users: 10.5, conversions: 1 }), 'invalid_argument', /`control\.users`/],
    [() => ces.conversionLift(arm, { users: 10, conversions: null }), 'missing_value', /`control\.conversions`/],
    [() => ces.conversionLift({ ...arm, revenue: -1 }, arm), 'invalid_argument', /`treatment\.revenue`/],
    [() => ces.conversionLift(arm, arm, { confidence: 1.5 }), 'invalid_argument', /`confidence`/],
    [() => ces.conversionLift(arm, arm, { confidence: 0 }), 'invalid_argument', /`confidence`/],
    [() => ces.conversionLift(arm, arm, { spend: -1 }), 'invalid_argument', /`spend`/],
    [() => ces.conversionLift(arm, arm, { alternative: 'up' }), 'invalid_argument', /`alternative`/],
    [() => ces.conversionLift(arm, arm, { differenceMethod: 'exact' }), 'invalid_argument', /`differenceMethod`/],
    [() => ces.conversionLift(arm, arm, { ratioMethod: 'wald' }), 'invalid_argument', /`ratioMethod`/],
    [() => ces.conversionLift(arm, arm, { fisher: 'sometimes' }), 'invalid_argument', /`fisher`/],
    [() => ces.fisherExact([[1, 2], [3]]), 'invalid_argument', /`table`/],
    [() => ces.fisherExact([[1, -2], [3, 4]]), 'invalid_argument', /`table\[0\]\[1\]`/],
    [() => ces.fisherExact([[1, 2], [3, null]]), 'missing_value', /`table\[1\]\[1\]`/],
    [() => ces.powerProportions(null, 0.01, 100, 100), 'missing_value', /`baseline`/],
    [() => ces.powerProportions(1.2, 0.01, 100, 100), 'invalid_argument', /`baseline`/],
    [() => ces.powerProportions(0.1, 0.95, 100, 100), 'invalid_argument', /`effect`/],
    [() => ces.powerProportions(0.1, 0.01, -5, 100), 'invalid_argument', /`nTreatment`/],
    [() => ces.powerProportions(0.1, 0.01, 100, NaN), 'invalid_argument', /`nControl`/],
    [() => ces.powerMeans(1, 0, 1, 10, 10), 'invalid_argument', /`sdTreatment`/],
    [() => ces.mdeProportions(0.1, 5, 5, { power: 1 }), 'invalid_argument', /`power`/],
    [() => ces.sampleSizeProportions(0.1, 0), 'invalid_argument', /`effect`/],
    [() => ces.sampleSizeProportions(0.1, -0.02, { alternative: 'larger' }), 'invalid_argument', /`effect`/],
    [() => ces.sampleSizeMeans(1, 1, 1, { ratio: 0 }), 'invalid_argument', /`ratio`/],
    [() => ces.powerFromSe(1, -1), 'invalid_argument', /`stdError`/],
    [() => ces.welch([1, null, 3], [1, 2, 3]), 'missing_value', 'row 1: `treatment` is missing (null)'],
    [() => ces.welch([1, 2, 3], [1, NaN, 3]), 'invalid_argument', /^row 1: invalid value for `control`: NaN/],
    [() => ces.welch(Float64Array.of(1, 2, Infinity), [1, 2, 3]), 'invalid_argument', /^row 2: invalid value for `treatment`: inf/],
    [() => ces.welch([1, 'x', 3], [1, 2, 3]), 'invalid_argument', /^row 1: invalid value for `treatment`: a value of type string/],
    [() => ces.welch([1], [1, 2, 3]), 'invalid_argument', /`treatment`/],
    [() => ces.welchFromSummary({ n: 1, mean: 0, variance: 1 }, { n: 5, mean: 0, variance: 1 }), 'invalid_argument', /`treatment\.n`/],
    [() => ces.welchFromSummary({ n: 5, mean: 0, variance: -1 }, { n: 5, mean: 0, variance: 1 }), 'invalid_argument', /`treatment\.variance`/],
    [() => ces.cuped([1, 2, 3, 4], [1, 2, 3], [true, true, false, false]), 'length_mismatch', /`y` has 4 rows but `x` has 3/],
    [() => ces.cuped([1, 2, 3, 4], [1, 1, 1, 1], [true, true, false, false]), 'invalid_argument', /`x`/],
    [() => ces.cuped([1, 2, 3, 4], [1, 2, 3, 4], [true, null, false, false]), 'missing_value', /row 1: `treated`/],
    [() => ces.cuped([1, 2, 3, 4], [1, 2, 3, 4], Uint8Array.of(1, 2, 0, 0)), 'invalid_argument', /row 1: invalid value for `treated`/],
    [() => ces.cuped([1, 2, 3, 4], [1, 2, 3, 4], [1, 1, 0, 0]), 'invalid_argument', /row 0: invalid value for `treated`/],
    [() => ces.ancova([1, 2, 3, 4], [1, 2, 3, 5], [true, false, false, false]), 'invalid_argument', /`treated`/],
    [
      () => ces.did2x2({ unit: [1, 1, 2, 2, 3, 3], treated: [true, false, true, true, false, false], post: [false, true, false, true, false, true], y: [1, 2, 3, 4, 5, 6] }),
      'invalid_argument',
      /^row 1: invalid value for `treated`/,
    ],
    [
      () => ces.did2x2({ unit: [1, 1, 2, 2, 3], treated: [true, true, false, false, false], post: [false, true, false, true, false], y: [1, 2, 3, 4] }),
      'length_mismatch',
      /`unit` has 5 rows but `y` has 4/,
    ],
    [() => ces.did2x2({ unit: [1, NaN], treated: [true, false], post: [false, true], y: [1, 2] }), 'invalid_argument', /^row 1: invalid value for `unit`/],
    [() => ces.did2x2({ unit: [1, 'a'], treated: [true, false], post: [false, true], y: [1, 2] }), 'invalid_argument', /mixes strings and numbers/],
    [() => ces.did2x2({ unit: [1, null], treated: [true, false], post: [false, true], y: [1, 2] }), 'missing_value', /row 1: `unit`/],
    [
      () => ces.didPanel({ unit: [1, 1, 2, 2, 3, 3], period: [0, 1, 0, 1, 0, 1], treated: [true, true, true, true, true, true], y: [1, 2, 3, 4, 5, 6] }),
      'invalid_argument',
      /`treated`: all true/,
    ],
    [
      () => ces.didPanel({ unit: [1, 1], period: [0, 1], treated: [true, false], y: [1, 2] }, { covariance: 'hc3' }),
      'invalid_argument',
      /`covariance`/,
    ],
    [
      () => ces.didPanel({ unit: [1, 1], period: [0, 1], treated: [true, false], y: [1, 2] }, { reference: 'chi2' }),
      'invalid_argument',
      /`reference`/,
    ],
    [
      () => ces.ratioMetric({ numerator: [1, 2], denominator: [1, 1] }, { numerator: [1, 2], denominator: [1, 1] }, { bootstrap: 50 }),
      'invalid_argument',
      /`bootstrap\.resamples`/,
    ],
    [
      () => ces.ratioMetric({ numerator: [1, 2], denominator: [1, -1] }, { numerator: [1, 2], denominator: [1, 1] }),
      'invalid_argument',
      /^row 1: invalid value for `treatment\.denominator`/,
    ],
    [
      () => ces.ratioMetric({ numerator: [1, 2], denominator: [1, 1] }, { numerator: [1, null], denominator: [1, 1] }),
      'missing_value',
      /row 1: `control\.numerator`/,
    ],
    [
      () => ces.ratioMetric({ numerator: [1, 2], denominator: [1, 1] }, { numerator: [1, 2], denominator: [1, 1] }, { seed: -1 }),
      'invalid_argument',
      /`seed`/,
    ],
    [
      () => ces.ratioMetric({ numerator: [1, 2], denominator: [1, 1] }, { numerator: [1, 2], denominator: [1, 1] }, { bootstrap: 150.5 }),
      'invalid_argument',
      /`bootstrap`/,
    ],
    [() => ces.ccf([1, 2, 3, 4], [4, 3, 2, 1], 4), 'invalid_argument', /`maxLag`/],
    [() => ces.ccf([1, 2, 3, 4], [4, 3, 2, 1], 1.5), 'invalid_argument', /`maxLag`/],
    [() => ces.ccf([1, 2, 3, 4], [4, 3, 2, 1], -1), 'invalid_argument', /`maxLag`/],
    [() => ces.ccf([1, 2, 3, 4], [4, 3, 2], 1), 'length_mismatch', /`exposure`/],
    [() => ces.ccf([1, 1, 1, 1], [4, 3, 2, 1], 1), 'invalid_argument', /`exposure`/],
    [() => ces.ccf([1, 2, 3, 4], [4, 3, 2, 1], 1, { confidence: NaN }), 'invalid_argument', /`confidence`/],
  ]
  for (const [run, code, message] of cases) assert.throws(run, cesError(code, message), String(run))
  // Values of the wrong JavaScript type for a whole argument are Node-API errors naming it.
  assert.throws(() => ces.conversionLift({ users: 'x', conversions: 1 }, arm), /users/)
  assert.throws(() => ces.conversionLift({ conversions: 1 }, arm), /Missing field `users`/)
  assert.throws(() => ces.welch('1,2,3', [1, 2, 3]))
})

// --- lift from attribution data -------------------------------------------------------------

const DAY = 86_400_000
const WEEK = 7 * DAY
const PRE_START = Date.parse('2025-06-02T00:00:00Z') // a Monday
const LAUNCH = PRE_START + 4 * WEEK
const END = PRE_START + 8 * WEEK

/** A small deterministic retailer: 12 exposed and 12 control stores, 8 weeks, 3 or 4 sales a week. */
function retailer(effect) {
  let seed = 12345
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31 - 0.5
  }
  const exposures = []
  const transactions = []
  let id = 0
  for (let s = 0; s < 24; s++) {
    const store = `store-${String(s).padStart(2, '0')}`
    const exposed = s % 2 === 0
    if (exposed) {
      exposures.push({
        id: exposures.length + 1,
        store,
        start: new Date(LAUNCH + 3600_000 + s * 60_000),
        channel: s % 4 === 0 ? 'tv' : 'radio',
        interaction: 'view',
        campaign: 'launch',
        asset: 'spot-a',
        cost: 250,
      })
    } else if (s === 5) {
      // Another campaign's exposure does not make a store exposed.
      exposures.push({ id: 999, store, start: new Date(PRE_START + DAY), channel: 'search', interaction: 'click', campaign: 'other', asset: 'text', cost: 10 })
    }
    const base = 100 + 10 * s
    for (let w = 0; w < 8; w++) {
      for (let k = 0; k < 3; k++) {
        const lift = exposed && w >= 4 ? effect : 0
        transactions.push({
          id: ++id,
          store,
          time: new Date(PRE_START + w * WEEK + (k * 2 + 1) * DAY + 3600_000),
          value: Math.round((base + 5 * w + lift + 8 * noise()) * 100) / 100,
          units: 1 + k,
        })
      }
      // A small extra basket now and then, so counts and units vary too.
      if (noise() > 0.2) transactions.push({ id: ++id, store, time: new Date(PRE_START + w * WEEK + 6 * DAY), value: 5, units: 1 })
    }
  }
  return { exposures, transactions }
}

const SPEC = { campaign: 'launch', preStart: new Date(PRE_START), campaignStart: new Date(LAUNCH), end: new Date(END), period: '7d' }

test('campaignLift recovers the sign of an injected effect; mmmPrior and mmmPriors', () => {
  for (const effect of [30, -30]) {
    const { exposures, transactions } = retailer(effect)
    const lift = ces.campaignLift(exposures, transactions, SPEC, { key: 'store' })
    assert.equal(lift.exposedUnits, 12)
    assert.equal(lift.controlUnits, 12)
    assert.equal(lift.periods, 8)
    assert.equal(lift.prePeriods, 4)
    assert.equal(lift.spend, 12 * 250)
    assert.deepEqual(lift.channels, ['radio', 'tv'])
    assert.equal(lift.outcome, 'sales')
    assert.deepEqual(lift.spec, { campaign: 'launch', preStart: PRE_START, campaignStart: LAUNCH, end: END, period: WEEK })
    // 3 regular transactions a week, each `effect` larger: +3·effect per exposed store-week.
    assert.equal(Math.sign(lift.did.effect.estimate), Math.sign(effect))
    assert.ok(Math.abs(lift.did.effect.estimate - 3 * effect) < Math.abs(effect), `${lift.did.effect.estimate}`)
    assert.ok(lift.did.effect.significant)
    assert.equal(Math.sign(lift.panel.effect.estimate), Math.sign(effect))
    assert.equal(Math.sign(lift.relativeLift), Math.sign(effect))
    assert.equal(lift.incremental, lift.did.effect.estimate * 12 * 4)
    assert.deepEqual(lift.incrementalInterval, [lift.did.effect.interval.low * 48, lift.did.effect.interval.high * 48])
    assert.equal(lift.iroas, lift.incremental / lift.spend)
    assert.ok(lift.power.power > 0.05 && lift.power.power <= 1)
    assert.equal(lift.power.effect, 0.05 * Math.abs(lift.baseline))
    assert.equal(lift.power.stdNull, lift.did.effect.stdError)
    assert.ok(lift.mde > 0)
    const prior = lift.mmmPrior
    assert.equal(prior.campaign, 'launch')
    assert.equal(prior.channel, 'radio+tv')
    assert.equal(prior.metric, 'sales')
    assert.equal(prior.method, 'ols_cluster')
    assert.equal(prior.start, LAUNCH)
    assert.equal(prior.end, END)
    assert.equal(prior.effect, lift.incremental)
    assert.equal(prior.stdError, lift.incrementalStdError)
    assert.equal(prior.roi, lift.incremental / 3000)
    assert.equal(prior.exposedUnits, 12)
    assert.equal(Math.sign(prior.effect), Math.sign(effect))
    assert.deepEqual(ces.mmmPriors([lift, { mmmPrior: prior }]), [prior, prior])
  }
})

test('campaignLift: tables as columns, times as bigints and ISO strings, outcomes and options', () => {
  const { exposures, transactions } = retailer(30)
  const rows = ces.campaignLift(exposures, transactions, SPEC, { key: 'store' })
  const columns = (rs, fields) => Object.fromEntries(fields.map((f) => [f, rs.map((r) => r[f])]))
  const ex = columns(exposures, ['id', 'store', 'channel', 'interaction', 'campaign', 'asset'])
  ex.start = BigInt64Array.from(exposures.map((e) => BigInt(e.start.getTime()) * 1000n))
  ex.cost = Float64Array.from(exposures.map((e) => e.cost))
  const tx = columns(transactions, ['id', 'store'])
  tx.time = transactions.map((t) => t.time.toISOString().replace('Z', '+00:00'))
  tx.value = Float64Array.from(transactions.map((t) => t.value))
  tx.units = Float64Array.from(transactions.map((t) => t.units))
  const spec = {
    campaign: 'launch',
    preStart: BigInt(PRE_START) * 1000n,
    campaignStart: new Date(LAUNCH).toISOString(),
    end: END,
    period: WEEK,
  }
  assert.deepEqual(ces.campaignLift(ex, tx, spec, { key: 'store' }), rows)
  // Naive ISO strings need assumeZone.
  const naive = { ...SPEC, preStart: '2025-06-02T00:00:00' }
  assert.throws(() => ces.campaignLift(exposures, transactions, naive, { key: 'store' }), cesError('invalid_argument', /`preStart`/))
  assert.deepEqual(ces.campaignLift(exposures, transactions, naive, { key: 'store', assumeZone: 'UTC' }), rows)
  const count = ces.campaignLift(exposures, transactions, SPEC, { key: 'store', outcome: 'transactions', covariance: 'classical', reference: 'normal', confidence: 0.9 })
  assert.equal(count.outcome, 'transactions')
  assert.ok(Math.abs(count.did.effect.estimate) < 1) // the campaign adds value, not baskets
  assert.equal(count.did.effect.interval.method, 'ols')
  assert.equal(count.did.effect.reference, 'normal')
  assert.equal(count.did.effect.interval.confidence, 0.9)
  const units = ces.campaignLift(exposures, transactions, SPEC, { key: 'store', outcome: 'units', mdeRelative: 0.1, targetPower: 0.9 })
  assert.equal(units.outcome, 'units')
  assert.deepEqual(units.did.cellCounts, [[48, 48], [48, 48]])
})

test('storePanel feeds did2x2 and didPanel; conversionGroups feeds conversionLift', () => {
  const { exposures, transactions } = retailer(30)
  const lift = ces.campaignLift(exposures, transactions, SPEC, { key: 'store' })
  const p = ces.storePanel(exposures, transactions, SPEC, { key: 'store' })
  assert.equal(p.unit.length, 24 * 8)
  assert.ok(p.outcome instanceof Float64Array)
  assert.equal(p.unitKeys.length, 24)
  assert.equal(p.unitKeys[0], 'store-00')
  assert.equal(p.exposedUnits, 12)
  assert.equal(p.spend, 3000)
  assert.equal(p.exposuresWithoutCost, 0)
  assert.deepEqual(p.channels, ['radio', 'tv'])
  assert.deepEqual(ces.did2x2({ unit: p.unit, treated: p.exposed, post: p.post, y: p.outcome }), lift.did)
  assert.deepEqual(ces.didPanel({ unit: p.unit, period: p.period, treated: p.treatedNow, y: p.outcome }), lift.panel)
  const units = ces.storePanel(exposures, transactions, SPEC, { key: 'store', outcome: 'units' })
  const total = (xs) => xs.reduce((a, v) => a + v, 0)
  assert.equal(total(units.outcome), total(transactions.map((t) => t.units)))
  assert.equal(total(p.outcome).toFixed(6), total(transactions.map((t) => t.value)).toFixed(6))
  const groups = ces.conversionGroups(exposures, transactions, SPEC, { key: 'store' })
  assert.deepEqual([groups.treatment.users, groups.treatment.conversions], [12, 12])
  assert.deepEqual([groups.control.users, groups.control.conversions], [12, 12])
  const sales = transactions.filter((t) => t.time.getTime() >= LAUNCH)
  const revenue = (even) => sales.filter((t) => (Number(t.store.slice(6)) % 2 === 0) === even).reduce((a, t) => a + t.value, 0)
  assert.ok(Math.abs(groups.treatment.revenue - revenue(true)) < 1e-6)
  assert.ok(Math.abs(groups.control.revenue - revenue(false)) < 1e-6)
  const r = ces.conversionLift(groups.treatment, groups.control, { fisher: 'never' })
  assert.equal(r.absoluteLift, 0)
})

test('campaignLift and storePanel errors name the field', () => {
  const { exposures, transactions } = retailer(30)
  const o = { key: 'store' }
  const cases = [
    [{ ...SPEC, campaign: 'nope' }, o, 'invalid_argument', /`campaign`/],
    [{ ...SPEC, period: '5d' }, o, 'invalid_argument', /`campaignStart`/],
    [{ ...SPEC, period: '7x' }, o, 'invalid_argument', /`period`/],
    [{ ...SPEC, period: -1 }, o, 'invalid_argument', /`period`/],
    [{ ...SPEC, end: new Date(LAUNCH) }, o, 'invalid_argument', /`end`/],
    [{ ...SPEC, campaignStart: new Date(PRE_START) }, o, 'invalid_argument', /`campaignStart`/],
    [{ ...SPEC, preStart: null }, o, 'missing_value', /`preStart`/],
    [{ ...SPEC, preStart: 'yesterday' }, o, 'invalid_argument', /`preStart`/],
    [SPEC, { ...o, outcome: 'profit' }, 'invalid_argument', /`outcome`/],
    [SPEC, { ...o, mdeRelative: 0 }, 'invalid_argument', /`mdeRelative`/],
    [SPEC, { ...o, targetPower: 1 }, 'invalid_argument', /`targetPower`/],
    [SPEC, { ...o, confidence: 95 }, 'invalid_argument', /`confidence`/],
    [SPEC, { ...o, assumeZone: 'Mars/Olympus' }, 'invalid_argument', /`assumeZone`/],
    [SPEC, {}, 'missing_value', /`exposures\.key`/],
  ]
  for (const [spec, options, code, message] of cases) {
    assert.throws(() => ces.campaignLift(exposures, transactions, spec, options), cesError(code, message), JSON.stringify([spec, options]))
  }
  // Every store exposed: no control group.
  const all = retailer(30)
  for (const t of all.transactions) t.store = 'store-00'
  assert.throws(() => ces.campaignLift(all.exposures, all.transactions, SPEC, o), cesError('invalid_argument', /no control group/))
  // Bad cells are reported as attributeSync reports them.
  const broken = retailer(30)
  broken.transactions[3].value = -5
  assert.throws(() => ces.storePanel(broken.exposures, broken.transactions, SPEC, o), cesError('invalid_record', /transactions row 3/))
  assert.throws(() => ces.conversionGroups(exposures, transactions, { ...SPEC, campaign: 'nope' }, o), cesError('invalid_argument', /`campaign`/))
})

// --- README ------------------------------------------------------------------------------------

test('the README Lift example runs without a failed assertion', () => {
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8')
  const section = readme.split('\n## Lift\n')[1].split('\n## ')[0]
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
  assert.equal(blocks.length, 1)
  const code = blocks[0].replaceAll("require('ces')", `require(${JSON.stringify(join(here, '..', 'index.js'))})`)
  assert.notEqual(code, blocks[0])
  const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: join(here, '..') })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stderr, '', 'console.assert failures print to stderr')
})
