-- CES experiments in the database (PostgreSQL).
--
-- * `ces.experiments`: one row per experiment definition (the `ces::lift` core's
--   `ExperimentDefinition`): test type, metric, campaign, confidence, minimum detectable
--   effect (relative or absolute), alternative hypothesis, schedule;
-- * `ces.experiment_variants`: its variants, in the order given (`position`), with the
--   control flag and the traffic weight in percent;
-- * `ces.experiment_results`: result rows (the core's `ExperimentResult`: a treatment variant
--   against the control on one metric), each naming the `ops.runs` row of the save that
--   wrote it.
--
-- The rules of a definition hold in the database itself: at most one control per experiment
-- (a partial unique index), and, checked at COMMIT by a deferred constraint trigger, every
-- experiment has at least two variants, exactly one control and traffic weights summing to
-- 100 (within 1e-9), so a transaction may replace the variants freely in between. A result
-- row names its experiment and a variant of it that is not the control (a foreign key on
-- `(experiment_key, variant, variant_is_control)` with `variant_is_control` always false,
-- deferred so that the variants can be rewritten under stored results).
--
-- Statistics are `double precision`: the core computes them in binary floating point and
-- float8 keeps every value bit for bit, infinite interval bounds included. Keys and names
-- are `text collate "C"` (bytewise order, as SQLite). Idempotent like 0001–0004.

create schema if not exists ces;

create table if not exists ces.experiments (
    key         text collate "C" not null
                constraint experiments_key_check check (btrim(key) <> ''),
    name        text not null,
    test_type   text not null
                constraint experiments_test_type_check
                check (test_type in ('conversion', 'continuous', 'ratio', 'diff_in_diff',
                                     'panel')),
    metric      text collate "C" not null
                constraint experiments_metric_check check (btrim(metric) <> ''),
    campaign    text collate "C",
    -- In (0, 1); NaN sorts above every number in PostgreSQL, so `< 1` refuses it too.
    confidence  double precision not null
                constraint experiments_confidence_check check (confidence > 0 and confidence < 1),
    mde         double precision not null
                constraint experiments_mde_check check (mde > 0 and mde < 'Infinity'),
    mde_kind    text not null default 'relative'
                constraint experiments_mde_kind_check check (mde_kind in ('relative', 'absolute')),
    alternative text not null default 'two-sided'
                constraint experiments_alternative_check
                check (alternative in ('two-sided', 'larger', 'smaller')),
    start_time  timestamptz,
    end_time    timestamptz,
    -- Who saved the definition last (the full history is in `ops.runs`, pipeline
    -- `experiment_definition`).
    updated_by  text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint experiments_pkey primary key (key),
    constraint experiments_end_time_check check (end_time >= start_time)
);

create table if not exists ces.experiment_variants (
    experiment_key text collate "C" not null
                   constraint experiment_variants_experiment_key_fkey
                   references ces.experiments (key) on delete cascade,
    name           text collate "C" not null
                   constraint experiment_variants_name_check check (btrim(name) <> ''),
    -- The variant's index in the definition (variants are read back in this order).
    position       integer not null
                   constraint experiment_variants_position_check check (position >= 0),
    is_control     boolean not null default false,
    -- Percent of traffic.
    traffic_weight double precision not null
                   constraint experiment_variants_traffic_weight_check
                   check (traffic_weight >= 0 and traffic_weight <= 100),
    constraint experiment_variants_pkey primary key (experiment_key, name),
    constraint experiment_variants_position_key unique (experiment_key, position),
    -- The target of the results' foreign key (a result names a non-control variant).
    constraint experiment_variants_control_key unique (experiment_key, name, is_control)
);

-- At most one control per experiment (exactly one is checked at commit, below).
create unique index if not exists experiment_variants_one_control_idx
    on ces.experiment_variants (experiment_key) where is_control;

-- The rule of an experiment's variants: at least two, exactly one control, weights summing
-- to 100 (within 1e-9, as the core checks). An experiment that no longer exists (deleted
-- in the transaction) has nothing to check.
create or replace function ces.assert_experiment_variants(k text) returns void
language plpgsql as $$
declare
    n        bigint;
    controls bigint;
    total    double precision;
begin
    if k is null or not exists (select 1 from ces.experiments where key = k) then
        return;
    end if;
    select count(*), count(*) filter (where is_control), coalesce(sum(traffic_weight), 0)
    into n, controls, total
    from ces.experiment_variants
    where experiment_key = k;
    if n < 2 or controls <> 1 or abs(total - 100) > 1e-9 then
        raise exception
            'experiment %: % variant(s), % control(s), traffic weights summing to % (an experiment needs at least two variants, exactly one control, and weights summing to 100)',
            quote_literal(k), n, controls, total
            using errcode = 'check_violation',
                  schema = 'ces',
                  table = 'experiment_variants',
                  constraint = 'experiment_variants_rule_check';
    end if;
end
$$;

create or replace function ces.experiment_variants_rule() returns trigger
language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform ces.assert_experiment_variants(new.experiment_key);
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        perform ces.assert_experiment_variants(old.experiment_key);
    end if;
    return null;
end
$$;

create or replace function ces.experiments_rule() returns trigger
language plpgsql as $$
begin
    perform ces.assert_experiment_variants(new.key);
    return null;
end
$$;

-- Deferred to COMMIT (constraint triggers cannot be created "or replace": only if missing).
do $$
begin
    if not exists (select 1 from pg_trigger
                   where tgname = 'experiment_variants_rule'
                     and tgrelid = 'ces.experiment_variants'::regclass) then
        create constraint trigger experiment_variants_rule
            after insert or update or delete on ces.experiment_variants
            deferrable initially deferred
            for each row execute function ces.experiment_variants_rule();
    end if;
    -- A new experiment must get its variants in the same transaction.
    if not exists (select 1 from pg_trigger
                   where tgname = 'experiments_rule'
                     and tgrelid = 'ces.experiments'::regclass) then
        create constraint trigger experiments_rule
            after insert on ces.experiments
            deferrable initially deferred
            for each row execute function ces.experiments_rule();
    end if;
end
$$;

create table if not exists ces.experiment_results (
    id                 bigint generated by default as identity,
    -- The `ops.runs` row of the save that wrote the row (pipeline `experiment_results`).
    run_id             uuid not null
                       constraint experiment_results_run_id_fkey references ops.runs (id),
    experiment_key     text collate "C" not null
                       constraint experiment_results_experiment_key_fkey
                       references ces.experiments (key) on delete cascade,
    -- The treatment variant.
    variant            text collate "C" not null,
    -- Always false: with `(experiment_key, variant)` it references a variant that is not the
    -- control (see the foreign key below).
    variant_is_control boolean not null default false
                       constraint experiment_results_variant_is_control_check
                       check (not variant_is_control),
    metric             text collate "C" not null
                       constraint experiment_results_metric_check check (btrim(metric) <> ''),
    method             text collate "C" not null
                       constraint experiment_results_method_check check (btrim(method) <> ''),
    interval_method    text collate "C" not null
                       constraint experiment_results_interval_method_check
                       check (btrim(interval_method) <> ''),
    n_treatment        double precision not null
                       constraint experiment_results_n_treatment_check
                       check (n_treatment >= 0 and n_treatment < 'Infinity'),
    n_control          double precision not null
                       constraint experiment_results_n_control_check
                       check (n_control >= 0 and n_control < 'Infinity'),
    treatment_value    double precision not null
                       constraint experiment_results_treatment_value_check
                       check (treatment_value > '-Infinity' and treatment_value < 'Infinity'),
    control_value      double precision not null
                       constraint experiment_results_control_value_check
                       check (control_value > '-Infinity' and control_value < 'Infinity'),
    lift               double precision not null
                       constraint experiment_results_lift_check
                       check (lift > '-Infinity' and lift < 'Infinity'),
    relative_lift      double precision
                       constraint experiment_results_relative_lift_check
                       check (relative_lift > '-Infinity' and relative_lift < 'Infinity'),
    -- The interval of the absolute lift; a one-sided interval has an infinite bound.
    ci_low             double precision not null
                       constraint experiment_results_ci_low_check check (ci_low < 'Infinity'),
    ci_high            double precision not null
                       constraint experiment_results_ci_high_check
                       check (ci_high > '-Infinity' and ci_high <> 'NaN'),
    p_value            double precision not null
                       constraint experiment_results_p_value_check
                       check (p_value >= 0 and p_value <= 1),
    significant        boolean not null,
    confidence         double precision not null
                       constraint experiment_results_confidence_check
                       check (confidence > 0 and confidence < 1),
    power              double precision
                       constraint experiment_results_power_check check (power >= 0 and power <= 1),
    computed_at        timestamptz not null default now(),
    actor              text,
    constraint experiment_results_pkey primary key (id),
    constraint experiment_results_ci_check check (ci_low <= ci_high),
    constraint experiment_results_run_row_key
        unique (run_id, variant, metric, method, interval_method),
    constraint experiment_results_variant_fkey
        foreign key (experiment_key, variant, variant_is_control)
        references ces.experiment_variants (experiment_key, name, is_control)
        deferrable initially deferred
);

-- The latest run of an experiment is the run of its highest id.
create index if not exists experiment_results_experiment_key_idx
    on ces.experiment_results (experiment_key, id);
create index if not exists experiment_results_run_id_idx on ces.experiment_results (run_id);
