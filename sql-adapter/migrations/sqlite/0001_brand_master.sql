-- CES brand master data (SQLite).
--
-- The same tables as PostgreSQL's `masterdata.brands` / `masterdata.brand_aliases`, named by
-- the rule "schema + '_' + table" (`masterdata_brands`, `masterdata_brand_aliases`), with
-- the same constraints. STRICT tables enforce column types; timestamps are UTC RFC 3339 text
-- with milliseconds. SQLite has no pg_trgm: fuzzy matching runs in the `ces` core instead.

create table if not exists masterdata_brands (
    id              integer primary key autoincrement,
    brand_name      text not null,
    normalized_name text,
    category        text,
    parent_brand    text,
    country         text,
    status          text not null default 'active',
    created_at      text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint brands_brand_name_key unique (brand_name),
    constraint brands_brand_name_check check (trim(brand_name) <> ''),
    constraint brands_status_check check (status in ('active', 'inactive', 'deprecated'))
) strict;

create table if not exists masterdata_brand_aliases (
    id                   integer primary key autoincrement,
    brand_id             integer not null
                         constraint brand_aliases_brand_id_fkey
                         references masterdata_brands (id) on delete cascade,
    alias                text not null,
    alias_type           text not null default 'variant',
    confidence           real not null default 1.0,
    similarity_threshold real,
    created_at           text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    constraint brand_aliases_brand_id_alias_key unique (brand_id, alias),
    constraint brand_aliases_alias_check check (trim(alias) <> ''),
    constraint brand_aliases_alias_type_check check (alias_type in (
        'canonical', 'variant', 'uppercase', 'ticker', 'full_name',
        'misspelling', 'phonetic', 'abbreviation')),
    constraint brand_aliases_confidence_check check (confidence >= 0 and confidence <= 1),
    constraint brand_aliases_similarity_threshold_check
        check (similarity_threshold >= 0 and similarity_threshold <= 1)
) strict;

create index if not exists masterdata_brand_aliases_alias_idx on masterdata_brand_aliases (alias);
