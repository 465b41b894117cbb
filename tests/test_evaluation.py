from __future__ import annotations

import re

import pytest

from newsflow.evaluation import Score, aggregate, find_phrases, overlap, score_text, score_tokens, tokenize


def approx(score: Score, precision: float, recall: float, f1: float) -> bool:
    return (score.precision, score.recall, score.f1) == (
        pytest.approx(precision), pytest.approx(recall), pytest.approx(f1))


# --- tokenize ---------------------------------------------------------------

def test_tokenize_lowercases_and_splits_on_non_word_characters() -> None:
    assert tokenize("Hello, WORLD! It's 2024 -- (really).") == ["hello", "world", "it", "s", "2024", "really"]


def test_tokenize_keeps_accented_letters_and_typographic_apostrophes_split() -> None:
    assert tokenize("L’été, c'est l’Élysée!") == ["l", "été", "c", "est", "l", "élysée"]


def test_tokenize_applies_nfkc() -> None:
    decomposed = "e\u0301te\u0301"  # e + combining acute, twice
    assert tokenize(decomposed) == ["été"]
    assert tokenize("ﬁn ２０２４") == ["fin", "2024"]  # ligature, full-width digits


def test_tokenize_empty_and_none() -> None:
    assert tokenize("") == []
    assert tokenize(None) == []
    assert tokenize(" ... !!! — ") == []


# --- overlap and scores -----------------------------------------------------

def test_overlap_counts_the_multiset_intersection() -> None:
    assert overlap(["a", "a", "a", "b"], ["a", "b", "b", "c"]) == 2
    assert overlap(["a", "a"], ["a", "a", "a"]) == 2
    assert overlap([], ["a"]) == 0


def test_identical_texts_score_one() -> None:
    s = score_text("The cat sat on the mat.", "The cat sat on the mat.")
    assert s == Score(1.0, 1.0, 1.0)


def test_disjoint_texts_score_zero() -> None:
    assert score_text("alpha beta gamma", "delta epsilon") == Score(0.0, 0.0, 0.0)


def test_partial_overlap_with_repeated_tokens() -> None:
    # pred: the x3, cat, sat (5 tokens); truth: the, cat x2 (3 tokens)
    # overlap = min(3,1) + min(1,2) = 2 -> P = 2/5, R = 2/3, F1 = 2*2/(5+3) = 0.5
    s = score_text("The the THE cat sat", "the cat cat")
    assert approx(s, 0.4, 2 / 3, 0.5)


def test_partial_overlap_extra_boilerplate_lowers_precision_only() -> None:
    truth = "one two three four"
    pred = "one two three four sign up for our newsletter"  # 4 of 9 tokens are right
    s = score_text(pred, truth)
    assert approx(s, 4 / 9, 1.0, 2 * (4 / 9) / (4 / 9 + 1))
    assert s.f1 == pytest.approx(8 / 13)


def test_missing_paragraph_lowers_recall_only() -> None:
    s = score_text("one two", "one two three four five six seven eight")
    assert approx(s, 1.0, 0.25, 0.4)


def test_both_empty_is_perfect() -> None:
    assert score_text("", "") == Score(1.0, 1.0, 1.0)
    assert score_text(None, "") == Score(1.0, 1.0, 1.0)
    assert score_text("!!! ...", " — ") == Score(1.0, 1.0, 1.0)  # no word tokens on either side


def test_one_side_empty_scores_zero() -> None:
    assert score_text("", "some article text") == Score(0.0, 0.0, 0.0)
    assert score_text(None, "some article text") == Score(0.0, 0.0, 0.0)
    assert score_text("some extracted text", "") == Score(0.0, 0.0, 0.0)
    assert score_text("some extracted text", "...") == Score(0.0, 0.0, 0.0)


def test_punctuation_and_case_do_not_matter() -> None:
    s = score_text("HELLO, World!!! “Quoted” — text.", "hello world quoted text")
    assert s == Score(1.0, 1.0, 1.0)


def test_french_accents_are_distinct_letters() -> None:
    assert score_text("été", "ete") == Score(0.0, 0.0, 0.0)
    # l, arrive match; été != ete
    assert approx(score_text("L'été arrive", "l’ete arrive"), 2 / 3, 2 / 3, 2 / 3)
    # composed and decomposed accents are the same letter
    assert score_text("L'été arrive", "l'e\u0301te\u0301 ARRIVE") == Score(1.0, 1.0, 1.0)


def test_score_tokens_on_token_lists() -> None:
    assert approx(score_tokens(["a", "b"], ["b", "c", "d", "e"]), 0.5, 0.25, 1 / 3)


# --- aggregate --------------------------------------------------------------

def test_aggregate_is_the_mean_of_each_measure() -> None:
    scores = [Score(1.0, 1.0, 1.0), Score(0.0, 0.0, 0.0), Score(0.4, 2 / 3, 0.5)]
    assert approx(aggregate(scores), 1.4 / 3, 5 / 9, 0.5)


def test_aggregate_accepts_a_generator_and_single_score() -> None:
    assert aggregate(s for s in [Score(0.25, 0.5, 1 / 3)]) == Score(0.25, 0.5, 1 / 3)


def test_aggregate_of_nothing_raises() -> None:
    with pytest.raises(ValueError):
        aggregate([])


# --- call-to-action phrases -------------------------------------------------

PATTERNS = [
    r"sign up (?:for|to) (?:\w+\W+){0,5}newsletters?",
    r"follow us on",
    r"abonnez[- ]vous",
    r"telechargez (?:l'application|notre application)",
]


def test_find_phrases_returns_the_patterns_found_in_order() -> None:
    text = "Abonnez-vous ! Sign up for our Daily Brief newsletter."
    assert find_phrases(text, PATTERNS) == [PATTERNS[0], PATTERNS[2]]


def test_find_phrases_none_found() -> None:
    assert find_phrases("The minister spoke on Monday.", PATTERNS) == []
    assert find_phrases("", PATTERNS) == []
    assert find_phrases(None, PATTERNS) == []


def test_find_phrases_folds_accents_and_apostrophes() -> None:
    text = "Téléchargez l’application pour suivre l'actualité."
    assert find_phrases(text, PATTERNS) == [PATTERNS[3]]
    assert find_phrases(text, PATTERNS, fold_accents=False) == []


def test_find_phrases_needs_a_word_boundary_and_accepts_compiled_patterns() -> None:
    assert find_phrases("unfollow us on the web", [r"follow us on"]) == []
    compiled = re.compile(r"follow us on")
    assert find_phrases("Follow us on X", [compiled, r"follow us on"]) == ["follow us on"]
