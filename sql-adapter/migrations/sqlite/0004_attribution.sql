-- CES exposure-window attribution in the database (SQLite).
--
-- The same tables as PostgreSQL's 0004, named "schema + '_' + table": `ces_exposures`,
-- `scout_transactions`, `scout_attributions`.
--
-- * Times are INTEGER microseconds since 1970-01-01T00:00:00Z (UTC), the core's own unit:
--   exact to the microsecond, compared and indexed as numbers, between 0001-01-01 and
--   9999-12-31T23:59:59.999999Z (checked; PostgreSQL's `timestamptz` holds the same
--   instants). Readable with `strftime('%Y-%m-%dT%H:%M:%SZ', start_time / 1000000,
--   'unixepoch')`.
-- * Input money and units (`cost`, `total_amount`, `units`) are TEXT holding the exact
--   decimal, never REAL (as in 0003); the computed credit (`weight`, `attributed_revenue`,
--   `attributed_units`, `confidence`) is REAL: the core computes it in binary floating point
--   and REAL keeps it bit for bit.
-- * `jsonb` columns are text holding JSON (checked); booleans are 0/1; run ids are UUID text
--   naming `ops_runs` rows, without a foreign key (as in PostgreSQL: the runs are an audit log).
-- * Text compares bytewise (SQLite's BINARY), as PostgreSQL's `collate "C"` columns do.
-- * `scout_attributions.transaction_id` is a foreign key (cascading deletes and id changes);
--   PostgreSQL gets the same behaviour from triggers.

create table if not exists ces_exposures (
    exposure_id             text not null
                            constraint exposures_exposure_id_check
                            check (trim(exposure_id) <> ''),
    campaign_id             text not null
                            constraint exposures_campaign_id_check
                            check (trim(campaign_id) <> ''),
    asset_id                text
                            constraint exposures_asset_id_check check (trim(asset_id) <> ''),
    channel                 text not null
                            constraint exposures_channel_check check (trim(channel) <> ''),
    interaction             text not null default 'view'
                            constraint exposures_interaction_check
                            check (interaction in ('view', 'engaged_view', 'click')),
    placement               text,
    platform                text,
    start_time              integer not null
                            constraint exposures_start_time_check
                            check (start_time between -62135596800000000
                                                  and 253402300799999999),
    -- NULL: a point exposure, or a flight still running.
    end_time                integer
                            constraint exposures_end_time_range_check
                            check (end_time between -62135596800000000
                                                and 253402300799999999),
    customer_id             text
                            constraint exposures_customer_id_check
                            check (trim(customer_id) <> ''),
    household_id            text
                            constraint exposures_household_id_check
                            check (trim(household_id) <> ''),
    store_id                text
                            constraint exposures_store_id_check check (trim(store_id) <> ''),
    geography_id            text
                            constraint exposures_geography_id_check
                            check (trim(geography_id) <> ''),
    impressions             integer
                            constraint exposures_impressions_check check (impressions >= 0),
    reach                   integer
                            constraint exposures_reach_check check (reach >= 0),
    frequency               real
                            constraint exposures_frequency_check
                            check (frequency >= 0 and frequency < 9e999),
    attribution_window_days integer not null default 7
                            constraint exposures_attribution_window_days_check
                            check (attribution_window_days between 0 and 3650),
    cost                    text
                            constraint exposures_cost_check
                            check (cost glob '[0-9]*' and cost not glob '*[^0-9.]*'),
    loaded_at               text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint exposures_pkey primary key (exposure_id),
    constraint exposures_end_time_check check (end_time >= start_time),
    constraint exposures_match_key_check
        check (coalesce(customer_id, household_id, store_id, geography_id) is not null)
) strict;

create index if not exists ces_exposures_start_time_idx on ces_exposures (start_time, exposure_id);
create index if not exists ces_exposures_customer_id_idx
    on ces_exposures (customer_id, start_time) where customer_id is not null;
create index if not exists ces_exposures_household_id_idx
    on ces_exposures (household_id, start_time) where household_id is not null;
create index if not exists ces_exposures_store_id_idx
    on ces_exposures (store_id, start_time) where store_id is not null;
create index if not exists ces_exposures_geography_id_idx
    on ces_exposures (geography_id, start_time) where geography_id is not null;

create table if not exists scout_transactions (
    transaction_id         text not null
                           constraint transactions_transaction_id_check
                           check (trim(transaction_id) <> ''),
    store_id               text
                           constraint transactions_store_id_check check (trim(store_id) <> ''),
    customer_id            text
                           constraint transactions_customer_id_check
                           check (trim(customer_id) <> ''),
    household_id           text
                           constraint transactions_household_id_check
                           check (trim(household_id) <> ''),
    geography_id           text
                           constraint transactions_geography_id_check
                           check (trim(geography_id) <> ''),
    transaction_time       integer not null
                           constraint transactions_transaction_time_check
                           check (transaction_time between -62135596800000000
                                                       and 253402300799999999),
    total_amount           text not null default '0'
                           constraint transactions_total_amount_check
                           check (total_amount glob '[0-9]*'
                                  and total_amount not glob '*[^0-9.]*'),
    currency               text
                           constraint transactions_currency_check
                           check (length(currency) = 3 and currency not glob '*[^A-Z]*'),
    units                  text not null default '0'
                           constraint transactions_units_check
                           check (units glob '[0-9]*' and units not glob '*[^0-9.]*'),
    items                  text not null default '[]'
                           constraint transactions_items_check
                           check (json_valid(items) and json_type(items) = 'array'),
    -- The join fields, written by attribution runs only.
    campaign_id            text,
    asset_id               text,
    exposure_id            text,
    campaign_influenced    integer not null default 0
                           constraint transactions_campaign_influenced_check
                           check (campaign_influenced in (0, 1)),
    attribution_confidence real
                           constraint transactions_attribution_confidence_check
                           check (attribution_confidence >= 0 and attribution_confidence <= 1),
    attribution_model      text,
    attribution_run_id     text,
    loaded_at              text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint transactions_pkey primary key (transaction_id),
    constraint transactions_influenced_check
        check (not campaign_influenced
               or (exposure_id is not null and attribution_confidence is not null))
) strict;

create index if not exists scout_transactions_transaction_time_idx
    on scout_transactions (transaction_time, transaction_id);
create index if not exists scout_transactions_customer_id_idx
    on scout_transactions (customer_id, transaction_time) where customer_id is not null;
create index if not exists scout_transactions_household_id_idx
    on scout_transactions (household_id, transaction_time) where household_id is not null;
create index if not exists scout_transactions_store_id_idx
    on scout_transactions (store_id, transaction_time) where store_id is not null;
create index if not exists scout_transactions_geography_id_idx
    on scout_transactions (geography_id, transaction_time) where geography_id is not null;

-- One credit row per (run, model, transaction, exposure); a (transaction, model, exposure)
-- has at most one row, whichever run wrote it.
create table if not exists scout_attributions (
    run_id             text not null,
    transaction_id     text not null
                       constraint attributions_transaction_id_fkey
                       references scout_transactions (transaction_id)
                       on delete cascade on update cascade,
    exposure_id        text not null
                       constraint attributions_exposure_id_check
                       check (trim(exposure_id) <> ''),
    campaign_id        text not null,
    asset_id           text,
    channel            text not null,
    model              text not null
                       constraint attributions_model_check
                       check (model in ('first_touch', 'last_touch', 'linear', 'time_decay',
                                        'position_based', 'data_driven', 'custom')),
    model_name         text not null
                       constraint attributions_model_name_check check (trim(model_name) <> ''),
    weight             real not null
                       constraint attributions_weight_check check (weight >= 0 and weight <= 1),
    attributed_revenue real not null
                       constraint attributions_attributed_revenue_check
                       check (attributed_revenue >= 0 and attributed_revenue < 9e999),
    attributed_units   real not null
                       constraint attributions_attributed_units_check
                       check (attributed_units >= 0 and attributed_units < 9e999),
    confidence         real
                       constraint attributions_confidence_check
                       check (confidence >= 0 and confidence <= 1),
    constraint attributions_pkey
        primary key (run_id, model_name, transaction_id, exposure_id),
    constraint attributions_transaction_model_exposure_key
        unique (transaction_id, model_name, exposure_id)
) strict;
