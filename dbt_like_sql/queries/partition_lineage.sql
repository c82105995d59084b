-- The walk of lineage_summary.sql, started from one partition (SQL files cannot share a CTE;
-- the model walks every partition, which an export of one round should not pay for).
-- One experiment x round of final_mix ($1, $2): rows, rows whose chain back to human seed rows is
-- unbroken, and the distinct human seed rows reached (lineage_summary, for one partition).
with recursive
edges as (select id, unnest(parent_ids) as parent_id from main.lineage_nodes),
walk(root, id) as (
    select id, id from main.final_mix where experiment = $1 and round = $2
    union
    select w.root, e.parent_id from walk w join edges e on e.id = w.id
),
per_root as (
    select w.root,
           count(*) filter (where n.id is null) as missing_ancestors,
           count(*) filter (where n.stage = 'human_seeds') as human_ancestors
    from walk w left join main.lineage_nodes n on n.id = w.id
    group by w.root
)
select
    count(*) as rows,
    count(*) filter (where p.missing_ancestors = 0 and p.human_ancestors > 0) as unbroken_rows,
    (select count(distinct w.id) from walk w join main.lineage_nodes n on n.id = w.id and n.stage = 'human_seeds')
        as human_seed_ancestors
from per_root p
