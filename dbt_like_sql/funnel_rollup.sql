-- materialized: table
-- The filter funnel per experiment and round: rows entering, dropped per step, kept.
select
    experiment,
    round,
    count(*) as entering,
    count(*) filter (where drop_reason = 'generation_error') as generation_error,
    count(*) filter (where drop_reason = 'truncated') as truncated,
    count(*) filter (where drop_reason = 'reward_hacking') as reward_hacking,
    count(*) filter (where drop_reason = 'verification') as verification,
    count(*) filter (where drop_reason = 'length') as length,
    count(*) filter (where drop_reason = 'self_instruct_rules') as self_instruct_rules,
    count(*) filter (where drop_reason = 'garbage') as garbage,
    count(*) filter (where drop_reason = 'exact_duplicate') as exact_duplicate,
    count(*) filter (where drop_reason = 'near_duplicate') as near_duplicate,
    count(*) filter (where drop_reason = 'rouge_novelty') as rouge_novelty,
    count(*) filter (where drop_reason = 'perplexity') as perplexity,
    count(*) filter (where drop_reason = 'judge_score') as judge_score,
    count(*) filter (where drop_reason = 'diversity') as diversity,
    count(*) filter (where kept) as kept
from main.filtered_set
group by all
order by experiment, round
