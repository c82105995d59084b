-- Full ancestry of one row (parameter $1: its id) across stages and rounds, back to human seeds.
-- Not an asset: a parameterised query run by `synth audit`. A parent id with no row shows with
-- stage NULL, i.e. a broken chain.
with recursive walk(id, depth, child_id) as (
    select $1::VARCHAR, 0, null::VARCHAR
    union
    select p.parent_id, w.depth + 1, w.id
    from walk w
    join (select id, unnest(parent_ids) as parent_id from main.lineage_nodes) p on p.id = w.id
)
select w.depth, n.stage, w.id, w.child_id, n.experiment, n.round, n.origin, n.generator, n.prompt_hash,
       n.verdict, n.verifier, n.drop_reason, n.run_id, n.instruction
from walk w
left join main.lineage_nodes n on n.id = w.id
qualify row_number() over (partition by w.id order by w.depth) = 1
order by w.depth, n.stage, w.id
