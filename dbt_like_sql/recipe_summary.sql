-- materialized: table
-- Per experiment, round and recipe (how each task was made; 'human' for human tasks): new tasks
-- written and the recipe's failures (calls, parses, eliminated evolutions), traces sampled,
-- traces that passed a ground-truth or constraint check, rows kept by the funnel, and rows in
-- the training mix, so recipes can be compared on what survives.
with
gen as (
    select experiment, round, recipe,
           count(*) filter (where failure is null) as tasks,
           count(*) filter (where failure is not null) as failures
    from main.generated_instructions group by all
),
traces as (select experiment, round, recipe, count(*) as traces from main.cot_traces group by all),
ver as (
    select experiment, round, recipe, count(*) filter (where verdict = 'passed') as verified
    from main.verified_traces group by all
),
filt as (
    select experiment, round, recipe, count(*) filter (where kept) as kept from main.filtered_set group by all
),
mix as (select experiment, round, recipe, count(*) as in_mix from main.final_mix group by all),
keys as (
    select experiment, round, recipe from gen
    union select experiment, round, recipe from traces
    union select experiment, round, recipe from mix
)
select
    keys.experiment,
    keys.round,
    coalesce(keys.recipe, 'unknown') as recipe,
    coalesce(gen.tasks, 0) as tasks,
    coalesce(gen.failures, 0) as failures,
    coalesce(traces.traces, 0) as traces,
    coalesce(ver.verified, 0) as verified,
    coalesce(filt.kept, 0) as kept,
    coalesce(mix.in_mix, 0) as in_mix
from keys
left join gen using (experiment, round, recipe)
left join traces using (experiment, round, recipe)
left join ver using (experiment, round, recipe)
left join filt using (experiment, round, recipe)
left join mix using (experiment, round, recipe)
order by keys.experiment, keys.round, recipe
