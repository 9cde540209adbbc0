-- CES brand resolution in the database (SQLite).
--
-- The same tables and views as PostgreSQL's 0002, named "schema + '_' + table":
-- `masterdata_generic_words`, `staging_drive_skus`, `ops_brand_resolution_log`,
-- `ops_brand_triage`, `ops_v_brand_resolution_metrics`, `ops_v_unknown_brands_daily`.
-- JSON columns (`quantities`, `candidates`, `shared_trigrams`, `missing_trigrams`, `samples`,
-- `suggestions`) are text holding JSON arrays (checked with json_valid); `price` is REAL
-- (SQLite has no numeric(12,2)); timestamps are UTC RFC 3339 text with milliseconds.

alter table masterdata_brands
    add column similarity_threshold real
        constraint brands_similarity_threshold_check
        check (similarity_threshold >= 0 and similarity_threshold <= 1);

create table if not exists masterdata_generic_words (
    word       text primary key,
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint generic_words_word_check check (trim(word) <> '')
) strict;

create table if not exists staging_drive_skus (
    sku               text primary key,
    brand             text,
    product_name      text,
    category          text,
    price             real,
    resolved_brand_id integer
                      constraint drive_skus_resolved_brand_id_fkey
                      references masterdata_brands (id),
    resolution_status text
                      constraint drive_skus_resolution_status_check
                      check (resolution_status in ('resolved', 'ambiguous', 'unresolved')),
    resolution_score  real
                      constraint drive_skus_resolution_score_check
                      check (resolution_score >= 0 and resolution_score <= 1),
    resolved_at       text,
    resolution_run_id text,
    created_at        text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) strict;

create index if not exists staging_drive_skus_resolution_run_id_idx
    on staging_drive_skus (resolution_run_id);

create table if not exists ops_brand_resolution_log (
    id                   integer primary key autoincrement,
    run_id               text not null,
    source_table         text not null,
    source_row_id        text not null,
    original_brand       text not null,
    normalized_input     text not null,
    quantities           text not null default '[]'
                         constraint brand_resolution_log_quantities_check
                         check (json_valid(quantities)),
    resolved_brand_id    integer,
    resolved_brand_name  text,
    matched_text         text,
    method               text not null
                         constraint brand_resolution_log_method_check
                         check (method in ('exact', 'alias', 'fuzzy', 'none')),
    confidence           real
                         constraint brand_resolution_log_confidence_check
                         check (confidence >= 0 and confidence <= 1),
    runner_up_brand_id   integer,
    runner_up_brand_name text,
    runner_up_score      real,
    margin               real,
    status               text not null
                         constraint brand_resolution_log_status_check
                         check (status in ('resolved', 'ambiguous', 'unresolved')),
    threshold            real not null,
    reason               text,
    shared_trigrams      text not null default '[]'
                         constraint brand_resolution_log_shared_trigrams_check
                         check (json_valid(shared_trigrams)),
    missing_trigrams     text not null default '[]'
                         constraint brand_resolution_log_missing_trigrams_check
                         check (json_valid(missing_trigrams)),
    candidates           text not null default '[]'
                         constraint brand_resolution_log_candidates_check
                         check (json_valid(candidates)),
    resolver_version     text not null,
    catalog_fingerprint  text not null,
    created_at           text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint brand_resolution_log_run_source_key unique (run_id, source_table, source_row_id)
) strict;

create index if not exists ops_brand_resolution_log_created_at_idx
    on ops_brand_resolution_log (created_at);
create index if not exists ops_brand_resolution_log_normalized_input_idx
    on ops_brand_resolution_log (normalized_input) where status <> 'resolved';

create table if not exists ops_brand_triage (
    normalized      text primary key,
    occurrences     integer not null default 0
                    constraint brand_triage_occurrences_check check (occurrences >= 0),
    first_seen      text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_seen       text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    samples         text not null default '[]'
                    constraint brand_triage_samples_check check (json_valid(samples)),
    suggestions     text not null default '[]'
                    constraint brand_triage_suggestions_check check (json_valid(suggestions)),
    last_status     text not null
                    constraint brand_triage_last_status_check
                    check (last_status in ('unresolved', 'ambiguous')),
    status          text not null default 'open'
                    constraint brand_triage_status_check
                    check (status in ('open', 'mapped', 'ignored')),
    mapped_brand_id integer
                    constraint brand_triage_mapped_brand_id_fkey
                    references masterdata_brands (id) on delete set null,
    mapped_alias_id integer
                    constraint brand_triage_mapped_alias_id_fkey
                    references masterdata_brand_aliases (id) on delete set null,
    created_at      text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint brand_triage_normalized_check check (trim(normalized) <> '')
) strict;

create index if not exists ops_brand_triage_status_idx
    on ops_brand_triage (status, occurrences desc);

-- Attempts per UTC day and method (see the PostgreSQL migration).
create view if not exists ops_v_brand_resolution_metrics as
select date(l.created_at)                                    as day,
       l.method,
       count(*)                                              as attempts,
       sum(l.status = 'resolved')                            as resolved,
       sum(l.status = 'unresolved')                          as failed,
       sum(l.status = 'ambiguous')                           as ambiguous,
       avg(l.confidence)                                     as mean_confidence
from ops_brand_resolution_log l
group by 1, 2;

-- Unresolved and ambiguous attempts per UTC day and normalised input, with the triage status.
create view if not exists ops_v_unknown_brands_daily as
with daily as (
    select date(l.created_at)                                as day,
           l.normalized_input,
           count(*)                                          as attempts,
           sum(l.status = 'unresolved')                      as unresolved,
           sum(l.status = 'ambiguous')                       as ambiguous,
           count(distinct l.original_brand)                  as distinct_inputs,
           min(l.original_brand)                             as sample_input
    from ops_brand_resolution_log l
    where l.status <> 'resolved'
    group by 1, 2
)
select d.day, d.normalized_input, d.attempts, d.unresolved, d.ambiguous, d.distinct_inputs,
       d.sample_input, t.status as triage_status, t.mapped_brand_id
from daily d
left join ops_brand_triage t on t.normalized = d.normalized_input;
