-- materialized: view
-- Every row of every stage in one shape: the node table that provenance audits walk.
-- Ids are unique across stages (the stage is part of the hash), so parent_ids resolve here.
select 'human_seeds' as stage, experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, response, null::VARCHAR as verdict, null::VARCHAR as verifier, null::VARCHAR as drop_reason
from main.human_seeds
union all
select 'seed_set', experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, response, null, null, null
from main.seed_set
union all
select 'generated_instructions', experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, null, null, null, null
from main.generated_instructions
union all
select 'cot_traces', experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, response, null, null, null
from main.cot_traces
union all
select 'verified_traces', experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, response, verdict, verifier, null
from main.verified_traces
union all
select 'filtered_set', experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, response, verdict, verifier, drop_reason
from main.filtered_set
union all
select 'final_mix', experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id,
       instruction, response, null, null, null
from main.final_mix
