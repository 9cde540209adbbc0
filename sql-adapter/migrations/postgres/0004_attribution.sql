-- CES exposure-window attribution in the database (PostgreSQL).
--
-- * `ces.exposures`: one row per exposure (one person's impression or click, or an
--   aggregate flight in a store or a region), with the possible match keys (customer,
--   household, store, geography; aggregate exposures carry store or geography only) and its
--   own look-back window (`attribution_window_days`);
-- * `scout.transactions`: the retail transactions, with the join fields attribution fills
--   (`campaign_id`, `asset_id`, `exposure_id`, `campaign_influenced`,
--   `attribution_confidence`, `attribution_model`, `attribution_run_id`);
-- * `scout.attributions`: one credit row per (run, model, transaction, exposure), written by
--   the `ces` core's attribution engine through `Database::run_attribution`.
--
-- Times are `timestamptz` (microseconds, as the core counts them); money and units are
-- `numeric` without a fixed scale, kept exactly as written. Identifiers and labels (ids, match
-- keys, campaign, asset, channel, model name) are `text collate "C"`: they compare and sort
-- bytewise, as the core orders recency ties, and their indexes avoid locale comparisons
-- (twice as fast to write). Run ids (`run_id`, `attribution_run_id`) name `ops.runs` rows
-- without a foreign key: `ops.runs` is an audit log, which can be pruned without touching
-- results, and per-row key checks would double the cost of writing the credit (for the same
-- reason the credit follows its transactions through triggers, at the end). Idempotent like 0001–0003: only
-- what is missing is created, and a `scout.transactions` or `ces.exposures` left by the
-- original platform gets the columns it lacks.

create schema if not exists ces;
create schema if not exists scout;

create table if not exists ces.exposures (
    exposure_id             text collate "C" not null
                            constraint exposures_exposure_id_check
                            check (btrim(exposure_id) <> ''),
    campaign_id             text collate "C" not null
                            constraint exposures_campaign_id_check
                            check (btrim(campaign_id) <> ''),
    asset_id                text collate "C"
                            constraint exposures_asset_id_check check (btrim(asset_id) <> ''),
    channel                 text collate "C" not null
                            constraint exposures_channel_check check (btrim(channel) <> ''),
    interaction             text not null default 'view'
                            constraint exposures_interaction_check
                            check (interaction in ('view', 'engaged_view', 'click')),
    placement               text,
    platform                text,
    start_time              timestamptz not null,
    -- NULL: a point exposure, or a flight still running.
    end_time                timestamptz,
    customer_id             text collate "C"
                            constraint exposures_customer_id_check
                            check (btrim(customer_id) <> ''),
    household_id            text collate "C"
                            constraint exposures_household_id_check
                            check (btrim(household_id) <> ''),
    store_id                text collate "C"
                            constraint exposures_store_id_check check (btrim(store_id) <> ''),
    geography_id            text collate "C"
                            constraint exposures_geography_id_check
                            check (btrim(geography_id) <> ''),
    impressions             bigint
                            constraint exposures_impressions_check check (impressions >= 0),
    reach                   bigint
                            constraint exposures_reach_check check (reach >= 0),
    frequency               double precision
                            constraint exposures_frequency_check
                            check (frequency >= 0 and frequency < 'Infinity'),
    attribution_window_days integer not null default 7
                            constraint exposures_attribution_window_days_check
                            check (attribution_window_days between 0 and 3650),
    cost                    numeric
                            constraint exposures_cost_check check (cost >= 0 and cost <> 'NaN'),
    loaded_at               timestamptz not null default now(),
    constraint exposures_pkey primary key (exposure_id),
    constraint exposures_end_time_check check (end_time >= start_time),
    constraint exposures_match_key_check
        check (num_nonnulls(customer_id, household_id, store_id, geography_id) > 0)
);

-- An exposures table of the original platform lacks these.
alter table ces.exposures
    add column if not exists interaction text not null default 'view'
        constraint exposures_interaction_check
        check (interaction in ('view', 'engaged_view', 'click')),
    add column if not exists customer_id text collate "C"
        constraint exposures_customer_id_check check (btrim(customer_id) <> ''),
    add column if not exists household_id text collate "C"
        constraint exposures_household_id_check check (btrim(household_id) <> ''),
    add column if not exists store_id text collate "C"
        constraint exposures_store_id_check check (btrim(store_id) <> ''),
    add column if not exists cost numeric
        constraint exposures_cost_check check (cost >= 0 and cost <> 'NaN'),
    add column if not exists loaded_at timestamptz not null default now();

-- Loading a run pages through (start_time, exposure_id); the match keys serve lookups.
create index if not exists exposures_start_time_idx on ces.exposures (start_time, exposure_id);
create index if not exists exposures_customer_id_idx
    on ces.exposures (customer_id, start_time) where customer_id is not null;
create index if not exists exposures_household_id_idx
    on ces.exposures (household_id, start_time) where household_id is not null;
create index if not exists exposures_store_id_idx
    on ces.exposures (store_id, start_time) where store_id is not null;
create index if not exists exposures_geography_id_idx
    on ces.exposures (geography_id, start_time) where geography_id is not null;

create table if not exists scout.transactions (
    transaction_id         text collate "C" not null
                           constraint transactions_transaction_id_check
                           check (btrim(transaction_id) <> ''),
    store_id               text collate "C"
                           constraint transactions_store_id_check check (btrim(store_id) <> ''),
    customer_id            text collate "C"
                           constraint transactions_customer_id_check
                           check (btrim(customer_id) <> ''),
    household_id           text collate "C"
                           constraint transactions_household_id_check
                           check (btrim(household_id) <> ''),
    geography_id           text collate "C"
                           constraint transactions_geography_id_check
                           check (btrim(geography_id) <> ''),
    transaction_time       timestamptz not null,
    total_amount           numeric not null default 0
                           constraint transactions_total_amount_check
                           check (total_amount >= 0 and total_amount <> 'NaN'),
    currency               char(3)
                           constraint transactions_currency_check
                           check (currency ~ '^[A-Z]{3}$'),
    units                  numeric not null default 0
                           constraint transactions_units_check
                           check (units >= 0 and units <> 'NaN'),
    items                  jsonb not null default '[]'
                           constraint transactions_items_check
                           check (jsonb_typeof(items) = 'array'),
    -- The join fields, written by attribution runs only.
    campaign_id            text collate "C",
    asset_id               text collate "C",
    exposure_id            text collate "C",
    campaign_influenced    boolean not null default false,
    attribution_confidence double precision
                           constraint transactions_attribution_confidence_check
                           check (attribution_confidence >= 0 and attribution_confidence <= 1),
    attribution_model      text,
    attribution_run_id     uuid,
    loaded_at              timestamptz not null default now(),
    constraint transactions_pkey primary key (transaction_id),
    constraint transactions_influenced_check
        check (not campaign_influenced
               or (exposure_id is not null and attribution_confidence is not null))
);

-- A transactions table of the original platform lacks these.
alter table scout.transactions
    add column if not exists household_id text collate "C"
        constraint transactions_household_id_check check (btrim(household_id) <> ''),
    add column if not exists geography_id text collate "C"
        constraint transactions_geography_id_check check (btrim(geography_id) <> ''),
    add column if not exists units numeric not null default 0
        constraint transactions_units_check check (units >= 0 and units <> 'NaN'),
    add column if not exists campaign_id text collate "C",
    add column if not exists asset_id text collate "C",
    add column if not exists exposure_id text collate "C",
    add column if not exists campaign_influenced boolean not null default false,
    add column if not exists attribution_confidence double precision
        constraint transactions_attribution_confidence_check
        check (attribution_confidence >= 0 and attribution_confidence <= 1),
    add column if not exists attribution_model text,
    add column if not exists attribution_run_id uuid,
    add column if not exists loaded_at timestamptz not null default now();

-- The range of a run is read through (transaction_time, transaction_id).
create index if not exists transactions_transaction_time_idx
    on scout.transactions (transaction_time, transaction_id);
create index if not exists transactions_customer_id_idx
    on scout.transactions (customer_id, transaction_time) where customer_id is not null;
create index if not exists transactions_household_id_idx
    on scout.transactions (household_id, transaction_time) where household_id is not null;
create index if not exists transactions_store_id_idx
    on scout.transactions (store_id, transaction_time) where store_id is not null;
create index if not exists transactions_geography_id_idx
    on scout.transactions (geography_id, transaction_time) where geography_id is not null;

-- One credit row per (run, model, transaction, exposure). A run replaces the rows of the
-- transactions it attributed for the models it computed, so at any time a (transaction,
-- model, exposure) has at most one row (the unique key), whichever run wrote it.
create table if not exists scout.attributions (
    run_id             uuid not null,
    -- A scout.transactions row (kept by the triggers below, not a foreign key).
    transaction_id     text collate "C" not null
                       constraint attributions_transaction_id_check
                       check (btrim(transaction_id) <> ''),
    exposure_id        text collate "C" not null
                       constraint attributions_exposure_id_check
                       check (btrim(exposure_id) <> ''),
    campaign_id        text collate "C" not null,
    asset_id           text collate "C",
    channel            text collate "C" not null,
    -- The family (`scout.attributions.model` of the original); `model_name` is the core's
    -- exact name, parameters included (`position_based_j`, `markov_2`, …).
    model              text not null
                       constraint attributions_model_check
                       check (model in ('first_touch', 'last_touch', 'linear', 'time_decay',
                                        'position_based', 'data_driven', 'custom')),
    model_name         text collate "C" not null
                       constraint attributions_model_name_check check (btrim(model_name) <> ''),
    weight             double precision not null
                       constraint attributions_weight_check check (weight >= 0 and weight <= 1),
    attributed_revenue numeric not null
                       constraint attributions_attributed_revenue_check
                       check (attributed_revenue >= 0 and attributed_revenue <> 'NaN'),
    attributed_units   numeric not null
                       constraint attributions_attributed_units_check
                       check (attributed_units >= 0 and attributed_units <> 'NaN'),
    confidence         double precision
                       constraint attributions_confidence_check
                       check (confidence >= 0 and confidence <= 1),
    constraint attributions_pkey
        primary key (run_id, model_name, transaction_id, exposure_id),
    constraint attributions_transaction_model_exposure_key
        unique (transaction_id, model_name, exposure_id)
);

-- `scout.attributions.transaction_id` names a `scout.transactions` row, like a foreign key
-- with cascades, without its per-row check (which would double the cost of writing the
-- credit): a run writes credit only for transactions it has just locked by updating their
-- join fields (and fails if one is gone), and these triggers carry deletes, truncation and
-- id changes of transactions over to their credit.
create or replace function scout.attributions_follow_delete() returns trigger
language plpgsql as $$
begin
    delete from scout.attributions a using gone g where a.transaction_id = g.transaction_id;
    return null;
end
$$;

create or replace trigger transactions_attributions_delete
    after delete on scout.transactions
    referencing old table as gone
    for each statement execute function scout.attributions_follow_delete();

create or replace function scout.attributions_follow_truncate() returns trigger
language plpgsql as $$
begin
    truncate scout.attributions;
    return null;
end
$$;

create or replace trigger transactions_attributions_truncate
    after truncate on scout.transactions
    for each statement execute function scout.attributions_follow_truncate();

create or replace function scout.attributions_follow_id() returns trigger
language plpgsql as $$
begin
    update scout.attributions set transaction_id = new.transaction_id
    where transaction_id = old.transaction_id;
    return null;
end
$$;

create or replace trigger transactions_attributions_id
    after update of transaction_id on scout.transactions
    for each row when (old.transaction_id is distinct from new.transaction_id)
    execute function scout.attributions_follow_id();
