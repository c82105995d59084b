"""Each round's training files come with a dataset card that the Hugging Face tools read
offline: `datasets.load_dataset` on the folder, and huggingface_hub's card parser."""

from pathlib import Path

import datasets
from huggingface_hub import DatasetCard

from synth_assets.core.files import write_text
from synth_assets.export.card import CardFacts, dataset_card
from synth_assets.export.files import write_jsonl_and_parquet

FACTS = CardFacts(
    experiment="acc",
    regime="accumulate",
    round_=2,
    generators=["llamacpp:SmolLM2-135M-Instruct.Q4_1"],
    config_hash="0123456789ab",
    sft_rows=3,
    dpo_pairs=1,
    human_fraction=2 / 3,
    funnel={"entering": 10, "dropped:verification": 4, "kept": 6},
    verification={"verified_rate": 0.5, "reward_hacking": 0},
    collapse={"embedding_recall": 0.91, "heldout_perplexity": 212.5, "vendi": float("nan")},
    lineage={"rows": 3, "unbroken_rows": 3, "human_seed_ancestors": 2},
    pair_sources={"constitutional": 1},
    agents={"trajectories": 2, "finished": 1, "in_agent_sft": 1},
    dialogues=1,
)


def _export(folder: Path) -> None:
    sft = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(3)
    ]
    write_jsonl_and_parquet(sft, folder / "sft")
    write_jsonl_and_parquet([{"prompt": "p", "chosen": "c", "rejected": "r"}], folder / "dpo")
    tool = {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "calculator",
            "arguments": {"expression": "3*4"}}}]}  # fmt: skip
    write_jsonl_and_parquet([{"messages": [{"role": "user", "content": "q"}, tool]}], folder / "agent_sft")
    write_jsonl_and_parquet([{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}],
                            folder / "dialogue_sft")  # fmt: skip
    write_text(folder / "README.md", dataset_card(FACTS))


def test_the_card_loads_with_datasets_and_parses_with_huggingface_hub(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    _export(tmp_path / "export")
    sft = datasets.load_dataset(str(tmp_path / "export"), split="train")  # the default config
    assert sft.num_rows == 3 and sft[0]["messages"][1]["content"] == "a0"
    dpo = datasets.load_dataset(str(tmp_path / "export"), "dpo", split="train")
    assert dpo[0]["chosen"] == "c"
    card = DatasetCard.load(tmp_path / "export" / "README.md")
    data = card.data.to_dict()
    assert data["task_categories"] == ["text-generation"] and data["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in data["configs"]] == ["sft", "dpo", "dialogue_sft", "agent_sft"]
    agent = datasets.load_dataset(str(tmp_path / "export"), "agent_sft", split="train")
    assert agent[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"expression": "3*4"}
    assert datasets.load_dataset(str(tmp_path / "export"), "dialogue_sft", split="train").num_rows == 1
    assert "| constitutional | 1 |" in card.text and "| in_agent_sft | 1 |" in card.text
    for said in ("regime `accumulate`", "llamacpp:SmolLM2", "0123456789ab", "3 of 3 rows chain back", "| kept | 6 |"):
        assert said in card.text
    assert "| vendi | n/a |" in card.text and "| embedding_recall | 0.91 |" in card.text
