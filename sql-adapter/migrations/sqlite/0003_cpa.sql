-- CES CPA merge in the database (SQLite).
--
-- The same tables as PostgreSQL's 0003, named "schema + '_' + table": `ops_runs`,
-- `ops_run_events`, `everflow_daily_stats`, `redtrack_daily_spend`; the two tables of
-- PostgreSQL's `public` schema keep their plain names (`affiliate_mapping`,
-- `daily_performance`).
--
-- * Dates are TEXT `YYYY-MM-DD` (checked: `date(x) = x`), so they sort and compare as dates.
-- * Money is TEXT holding the exact decimal (`7825.50`, `0.30000000000000004`), never REAL.
-- * Run ids are UUID text (version 4, generated here when not given); `jsonb` columns are
--   text holding JSON (checked with json_valid); timestamps are UTC RFC 3339 text with
--   milliseconds; booleans are 0/1.

create table if not exists ops_runs (
    id          text primary key not null default (lower(
                    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
                    substr(hex(randomblob(2)), 2) || '-' ||
                    substr('89AB', 1 + (abs(random()) % 4), 1) ||
                    substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))
                constraint runs_id_check check (length(id) = 36),
    pipeline    text not null
                constraint runs_pipeline_check check (trim(pipeline) <> ''),
    status      text not null default 'queued'
                constraint runs_status_check
                check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
    actor       text,
    input       text not null default '{}'
                constraint runs_input_check check (json_valid(input)),
    output      text
                constraint runs_output_check check (json_valid(output)),
    started_at  text,
    finished_at text,
    error       text,
    created_at  text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint runs_finished_at_check check (finished_at >= started_at)
) strict;

create index if not exists ops_runs_pipeline_created_at_idx on ops_runs (pipeline, created_at);

create table if not exists ops_run_events (
    id         integer primary key autoincrement,
    run_id     text not null
               constraint run_events_run_id_fkey references ops_runs (id) on delete cascade,
    level      text not null default 'info'
               constraint run_events_level_check
               check (level in ('debug', 'info', 'warning', 'error')),
    kind       text not null
               constraint run_events_kind_check check (trim(kind) <> ''),
    message    text not null,
    data       text not null default '{}'
               constraint run_events_data_check check (json_valid(data)),
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) strict;

create index if not exists ops_run_events_run_id_idx on ops_run_events (run_id, id);

create table if not exists everflow_daily_stats (
    date             text not null
                     constraint daily_stats_date_check check (date(date) = date),
    affiliate_id     integer not null,
    affiliate_label  text not null
                     constraint daily_stats_affiliate_label_check
                     check (trim(affiliate_label) <> ''),
    advertiser_id    integer not null,
    advertiser_label text not null default '',
    clicks           integer not null default 0
                     constraint daily_stats_clicks_check check (clicks >= 0),
    conversions      integer not null default 0
                     constraint daily_stats_conversions_check check (conversions >= 0),
    revenue          text not null default '0'
                     constraint daily_stats_revenue_check
                     check (revenue glob '[0-9]*' and revenue not glob '*[^0-9.]*'),
    payout           text not null default '0'
                     constraint daily_stats_payout_check
                     check (payout glob '[0-9]*' and payout not glob '*[^0-9.]*'),
    profit           text not null default '0'
                     constraint daily_stats_profit_check
                     check (profit glob '*[0-9]*' and profit not glob '*[^0-9.-]*'),
    currency         text not null default 'USD'
                     constraint daily_stats_currency_check
                     check (length(currency) = 3 and currency not glob '*[^A-Z]*'),
    loaded_at        text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint daily_stats_pkey primary key (date, affiliate_id, advertiser_id)
) strict;

create table if not exists redtrack_daily_spend (
    date         text not null
                 constraint daily_spend_date_check check (date(date) = date),
    source_id    text not null
                 constraint daily_spend_source_id_check check (trim(source_id) <> ''),
    source_name  text not null default '',
    source_alias text,
    clicks       integer not null default 0
                 constraint daily_spend_clicks_check check (clicks >= 0),
    conversions  integer not null default 0
                 constraint daily_spend_conversions_check check (conversions >= 0),
    cost         text not null default '0'
                 constraint daily_spend_cost_check
                 check (cost glob '[0-9]*' and cost not glob '*[^0-9.]*'),
    currency     text not null default 'USD'
                 constraint daily_spend_currency_check
                 check (length(currency) = 3 and currency not glob '*[^A-Z]*'),
    loaded_at    text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint daily_spend_pkey primary key (date, source_id)
) strict;

create table if not exists affiliate_mapping (
    row_number                integer not null
                              constraint affiliate_mapping_row_number_check
                              check (row_number >= 0),
    location                  text not null,
    redtrack_source           text,
    redtrack_source_alias     text,
    redtrack_source_id        text,
    everflow_affiliate_id     text,
    everflow_affiliate_label  text,
    everflow_advertiser_id    text,
    everflow_advertiser_label text,
    source_id                 text,
    affiliate_label           text,
    advertiser_id             integer,
    advertiser_label          text,
    issues                    text not null default '[]'
                              constraint affiliate_mapping_issues_check check (json_valid(issues)),
    loaded_at                 text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint affiliate_mapping_pkey primary key (row_number),
    constraint affiliate_mapping_target_check
        check ((source_id is null) = (affiliate_label is null)
               and (source_id is null) = (advertiser_id is null)
               and (source_id is null) = (advertiser_label is null))
) strict;

create index if not exists affiliate_mapping_source_id_idx on affiliate_mapping (source_id);

create table if not exists daily_performance (
    date             text not null
                     constraint daily_performance_date_check check (date(date) = date),
    advertiser_id    integer not null,
    advertiser_label text not null,
    affiliate_label  text not null,
    is_internal      integer not null
                     constraint daily_performance_is_internal_check check (is_internal in (0, 1)),
    everflow_clicks  integer not null
                     constraint daily_performance_everflow_clicks_check
                     check (everflow_clicks >= 0),
    conversions      integer not null
                     constraint daily_performance_conversions_check check (conversions >= 0),
    everflow_revenue text not null
                     constraint daily_performance_everflow_revenue_check
                     check (everflow_revenue glob '*[0-9]*'
                            and everflow_revenue not glob '*[^0-9.-]*'),
    everflow_payout  text not null
                     constraint daily_performance_everflow_payout_check
                     check (everflow_payout glob '*[0-9]*'
                            and everflow_payout not glob '*[^0-9.-]*'),
    redtrack_cost    text not null
                     constraint daily_performance_redtrack_cost_check
                     check (redtrack_cost glob '*[0-9]*' and redtrack_cost not glob '*[^0-9.-]*'),
    redtrack_clicks  integer not null
                     constraint daily_performance_redtrack_clicks_check
                     check (redtrack_clicks >= 0),
    cost             text not null
                     constraint daily_performance_cost_check
                     check (cost glob '*[0-9]*' and cost not glob '*[^0-9.-]*'),
    cpa              text
                     constraint daily_performance_cpa_format_check
                     check (cpa glob '*[0-9]*' and cpa not glob '*[^0-9.-]*'),
    everflow_rows    integer not null
                     constraint daily_performance_everflow_rows_check check (everflow_rows >= 0),
    spend_rows       integer not null
                     constraint daily_performance_spend_rows_check check (spend_rows >= 0),
    currency         text not null
                     constraint daily_performance_currency_check
                     check (length(currency) = 3 and currency not glob '*[^A-Z]*'),
    run_id           text not null
                     constraint daily_performance_run_id_fkey references ops_runs (id),
    constraint daily_performance_pkey primary key (date, advertiser_id, affiliate_label),
    -- CPA = cost / conversions: undefined (NULL) exactly when there are no conversions.
    constraint daily_performance_cpa_check check ((cpa is null) = (conversions = 0))
) strict;

create index if not exists daily_performance_run_id_idx on daily_performance (run_id);
