-- materialized: table
-- Per experiment and round of final_mix: rows with an unbroken chain back to human seed rows
-- (every ancestor present, at least one human seed reached; must be 100%), and how many distinct
-- human seed rows the round's training data descends from.
with recursive
edges as (select id, unnest(parent_ids) as parent_id from main.lineage_nodes),
walk(root, id) as (
    select id, id from main.final_mix
    union
    select w.root, e.parent_id from walk w join edges e on e.id = w.id
),
per_root as (
    select w.root,
           count(*) filter (where n.id is null) as missing_ancestors,
           count(*) filter (where n.stage = 'human_seeds') as human_ancestors
    from walk w left join main.lineage_nodes n on n.id = w.id
    group by w.root
),
seeds_per_round as (
    select m.experiment, m.round, count(distinct w.id) as human_seed_ancestors
    from walk w
    join main.final_mix m on m.id = w.root
    join main.lineage_nodes n on n.id = w.id and n.stage = 'human_seeds'
    group by all
)
select
    m.experiment,
    m.round,
    count(*) as rows,
    count(*) filter (where m.origin = 'synthetic') as synthetic_rows,
    count(*) filter (where p.missing_ancestors = 0 and p.human_ancestors > 0) as unbroken_rows,
    round(100.0 * count(*) filter (where p.missing_ancestors = 0 and p.human_ancestors > 0) / count(*), 2)
        as unbroken_pct,
    coalesce(any_value(s.human_seed_ancestors), 0) as human_seed_ancestors
from main.final_mix m
join per_root p on p.root = m.id
left join seeds_per_round s on s.experiment = m.experiment and s.round = m.round
group by m.experiment, m.round
order by m.experiment, m.round
