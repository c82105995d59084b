-- materialized: table
-- Per experiment and round: rows per stage, verified rate over traces that had ground truth
-- (from verification_rollup, generated from verify/verdicts.py),
-- traces that gamed their tests (reward hacking), rows kept by the filter funnel, the human
-- fraction of the training mix, and the new tasks each recipe wrote (recipe_summary has the rest).
with
seeds as (select experiment, round, count(*) as n from main.seed_set group by all),
gen as (select experiment, round, count(*) as n from main.generated_instructions group by all),
by_recipe as (
    select experiment, round, string_agg(recipe || ': ' || n, ', ' order by recipe) as tasks_by_recipe
    from (
        select experiment, round, recipe, count(*) as n
        from main.generated_instructions where failure is null group by all
    )
    group by all
),
traces as (select experiment, round, count(*) as n from main.cot_traces group by all),
ver as (select * from main.verification_rollup),  -- the one definition of the verified rate
filt as (
    select experiment, round,
           count(*) filter (where kept) as kept,
           count(*) filter (where drop_reason = 'reward_hacking') as reward_hacking
    from main.filtered_set group by all
),
mix as (
    select experiment, round, count(*) as n, count(*) filter (where origin = 'human') as human
    from main.final_mix group by all
)
select
    seeds.experiment,
    seeds.round,
    seeds.n as seed_set,
    coalesce(gen.n, 0) as generated_instructions,
    coalesce(traces.n, 0) as cot_traces,
    coalesce(ver.checkable_traces, 0) as checkable_traces,
    coalesce(ver.verified_traces, 0) as verified_traces,
    ver.verified_rate,
    coalesce(filt.reward_hacking, 0) as reward_hacking,
    coalesce(filt.kept, 0) as filtered_kept,
    coalesce(mix.n, 0) as final_mix,
    round(mix.human / nullif(mix.n, 0), 3) as human_fraction,
    by_recipe.tasks_by_recipe
from seeds
left join gen using (experiment, round)
left join by_recipe using (experiment, round)
left join traces using (experiment, round)
left join ver using (experiment, round)
left join filt using (experiment, round)
left join mix using (experiment, round)
order by seeds.experiment, seeds.round
