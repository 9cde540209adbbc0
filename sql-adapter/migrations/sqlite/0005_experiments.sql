-- CES experiments in the database (SQLite).
--
-- The same tables as PostgreSQL's 0005, named "schema + '_' + table": `ces_experiments`,
-- `ces_experiment_variants`, `ces_experiment_results`.
--
-- * `start_time` / `end_time` are INTEGER microseconds since 1970-01-01T00:00:00Z (UTC), as
--   in 0004; `created_at`, `updated_at` and `computed_at` are UTC RFC 3339 text, as in 0003.
-- * Statistics are REAL, which keeps every binary double bit for bit, infinities included
--   (written as `9e999` in the checks). SQLite stores a negative zero as zero: the adapter
--   writes every −0 as 0 on both backends, so they agree.
-- * Booleans are 0/1; run ids are UUID text naming `ops_runs` rows.
--
-- What the database enforces (SQLite has no deferred triggers, so the rule "at least two
-- variants, exactly one control, weights summing to 100" cannot be checked at COMMIT as on
-- PostgreSQL):
--
-- * per row: the checks below, at most one control per experiment (a partial unique index);
-- * after every insert or update of a variant: the experiment's weights do not sum to more
--   than 100 (within 1e-9);
-- * before every update of an experiment row: its variants satisfy the whole rule. The
--   adapter writes an experiment's variants first and its row last, so every save is
--   checked; raw SQL that writes variants without touching the experiment row is checked
--   only by the first two points (the adapter refuses such stored data when it reads it);
-- * a result names its experiment and a non-control variant of it: the foreign key on
--   `(experiment_key, variant, variant_is_control)`, deferred to COMMIT as on PostgreSQL.

create table if not exists ces_experiments (
    key         text not null
                constraint experiments_key_check check (trim(key) <> ''),
    name        text not null,
    test_type   text not null
                constraint experiments_test_type_check
                check (test_type in ('conversion', 'continuous', 'ratio', 'diff_in_diff',
                                     'panel')),
    metric      text not null
                constraint experiments_metric_check check (trim(metric) <> ''),
    campaign    text,
    confidence  real not null
                constraint experiments_confidence_check check (confidence > 0 and confidence < 1),
    mde         real not null
                constraint experiments_mde_check check (mde > 0 and mde < 9e999),
    mde_kind    text not null default 'relative'
                constraint experiments_mde_kind_check check (mde_kind in ('relative', 'absolute')),
    alternative text not null default 'two-sided'
                constraint experiments_alternative_check
                check (alternative in ('two-sided', 'larger', 'smaller')),
    start_time  integer
                constraint experiments_start_time_check
                check (start_time between -62135596800000000 and 253402300799999999),
    end_time    integer
                constraint experiments_end_time_range_check
                check (end_time between -62135596800000000 and 253402300799999999),
    updated_by  text,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint experiments_pkey primary key (key),
    constraint experiments_end_time_check check (end_time >= start_time)
) strict;

create table if not exists ces_experiment_variants (
    experiment_key text not null
                   constraint experiment_variants_experiment_key_fkey
                   references ces_experiments (key) on delete cascade,
    name           text not null
                   constraint experiment_variants_name_check check (trim(name) <> ''),
    position       integer not null
                   constraint experiment_variants_position_check check (position >= 0),
    is_control     integer not null default 0
                   constraint experiment_variants_is_control_check check (is_control in (0, 1)),
    traffic_weight real not null
                   constraint experiment_variants_traffic_weight_check
                   check (traffic_weight >= 0 and traffic_weight <= 100),
    constraint experiment_variants_pkey primary key (experiment_key, name),
    constraint experiment_variants_position_key unique (experiment_key, position),
    constraint experiment_variants_control_key unique (experiment_key, name, is_control)
) strict;

create unique index if not exists ces_experiment_variants_one_control_idx
    on ces_experiment_variants (experiment_key) where is_control = 1;

create trigger if not exists ces_experiment_variants_total_insert
after insert on ces_experiment_variants
when (select sum(traffic_weight) from ces_experiment_variants
      where experiment_key = new.experiment_key) > 100 + 1e-9
begin
    select raise(abort, 'experiment_variants_total_check: the traffic weights of an experiment sum to more than 100');
end;

create trigger if not exists ces_experiment_variants_total_update
after update of experiment_key, traffic_weight on ces_experiment_variants
when (select sum(traffic_weight) from ces_experiment_variants
      where experiment_key = new.experiment_key) > 100 + 1e-9
begin
    select raise(abort, 'experiment_variants_total_check: the traffic weights of an experiment sum to more than 100');
end;

create trigger if not exists ces_experiments_rule
before update on ces_experiments
when (select count(*) from ces_experiment_variants where experiment_key = new.key) < 2
  or (select count(*) from ces_experiment_variants
      where experiment_key = new.key and is_control = 1) <> 1
  or abs((select total(traffic_weight) from ces_experiment_variants
          where experiment_key = new.key) - 100) > 1e-9
begin
    select raise(abort, 'experiment_variants_rule_check: an experiment needs at least two variants, exactly one control, and traffic weights summing to 100');
end;

create table if not exists ces_experiment_results (
    id                 integer primary key autoincrement,
    run_id             text not null
                       constraint experiment_results_run_id_fkey references ops_runs (id),
    experiment_key     text not null
                       constraint experiment_results_experiment_key_fkey
                       references ces_experiments (key) on delete cascade,
    variant            text not null,
    variant_is_control integer not null default 0
                       constraint experiment_results_variant_is_control_check
                       check (variant_is_control = 0),
    metric             text not null
                       constraint experiment_results_metric_check check (trim(metric) <> ''),
    method             text not null
                       constraint experiment_results_method_check check (trim(method) <> ''),
    interval_method    text not null
                       constraint experiment_results_interval_method_check
                       check (trim(interval_method) <> ''),
    n_treatment        real not null
                       constraint experiment_results_n_treatment_check
                       check (n_treatment >= 0 and n_treatment < 9e999),
    n_control          real not null
                       constraint experiment_results_n_control_check
                       check (n_control >= 0 and n_control < 9e999),
    treatment_value    real not null
                       constraint experiment_results_treatment_value_check
                       check (treatment_value > -9e999 and treatment_value < 9e999),
    control_value      real not null
                       constraint experiment_results_control_value_check
                       check (control_value > -9e999 and control_value < 9e999),
    lift               real not null
                       constraint experiment_results_lift_check
                       check (lift > -9e999 and lift < 9e999),
    relative_lift      real
                       constraint experiment_results_relative_lift_check
                       check (relative_lift > -9e999 and relative_lift < 9e999),
    ci_low             real not null
                       constraint experiment_results_ci_low_check check (ci_low < 9e999),
    ci_high            real not null
                       constraint experiment_results_ci_high_check check (ci_high > -9e999),
    p_value            real not null
                       constraint experiment_results_p_value_check
                       check (p_value >= 0 and p_value <= 1),
    significant        integer not null
                       constraint experiment_results_significant_check
                       check (significant in (0, 1)),
    confidence         real not null
                       constraint experiment_results_confidence_check
                       check (confidence > 0 and confidence < 1),
    power              real
                       constraint experiment_results_power_check check (power >= 0 and power <= 1),
    computed_at        text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor              text,
    constraint experiment_results_ci_check check (ci_low <= ci_high),
    constraint experiment_results_run_row_key
        unique (run_id, variant, metric, method, interval_method),
    constraint experiment_results_variant_fkey
        foreign key (experiment_key, variant, variant_is_control)
        references ces_experiment_variants (experiment_key, name, is_control)
        deferrable initially deferred
) strict;

create index if not exists ces_experiment_results_experiment_key_idx
    on ces_experiment_results (experiment_key, id);
create index if not exists ces_experiment_results_run_id_idx on ces_experiment_results (run_id);
