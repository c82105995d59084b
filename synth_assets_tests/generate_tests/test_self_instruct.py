from synth_assets.generate.self_instruct import InContextExample, build_prompt, parse_continuation
from synth_assets.llm.base import Generation


def test_prompt_is_a_numbered_list_open_at_the_next_number() -> None:
    prompt = build_prompt("general", [InContextExample("a", "Write a\n poem."), InContextExample("b", "List fruit.")])
    assert prompt == "Come up with a series of tasks:\n\n1. Write a poem.\n2. List fruit.\n3."


def test_parse_stops_at_a_break_in_numbering() -> None:
    text = " Name a river.\n4. Describe a storm.\n\nSome chatter after the list\n9. Not part of it."
    assert parse_continuation(Generation(text, "stop"), 3) == ["Name a river.", "Describe a storm."]


def test_truncated_last_item_is_dropped() -> None:
    text = " Name a river.\n4. Describe a sto"
    assert parse_continuation(Generation(text, "length"), 3) == ["Name a river."]


def test_empty_items_and_wrong_start_yield_nothing() -> None:
    assert parse_continuation(Generation("", "stop"), 9) == []
    assert parse_continuation(Generation(" \n11. skipped ten", "stop"), 9) == []


def test_a_chat_reply_that_repeats_the_open_number_parses_the_same() -> None:
    """Chat APIs answer the continuation prompt with the list's next number written out."""
    raw = parse_continuation(Generation(" Name three rivers.\n10. Sort the list.\n", "stop"), 9)
    chat = parse_continuation(Generation("9. Name three rivers.\n10. Sort the list.\n", "stop"), 9)
    assert raw == chat == ["Name three rivers.", "Sort the list."]


def test_a_chat_reply_without_the_number_is_not_a_task() -> None:
    refusal = Generation("I'm sorry, I can't continue that list.", "stop")
    assert parse_continuation(refusal, 7, raw=False) == []
    assert parse_continuation(refusal, 7, raw=True) == ["I'm sorry, I can't continue that list."]
