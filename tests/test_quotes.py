"""Tests for dateline.quotes, using sentences from the seed wire report (shared/seed/000_*.txt)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dateline.quotes import QuoteResult, SourceText, normalise, verify_quote
from dateline.quotes import _normalise_mapped

# Paragraphs copied verbatim from the seed article, curly quotes and apostrophes included.
LAUNCH = (
    "The launch came hours after Pyongyang’s Foreign Ministry issued a statement berating the United "
    "States for imposing new sanctions over the North’s previous tests and warned of stronger and more "
    "explicit action if Washington maintains its “confrontational stance.”"
)
REPORT = "The report by the North state media came a day after South Korea’s military said it detected the North firing two missiles into the sea in its third weapons launch this month."
TROOPS = (
    "The troops swiftly moved to the launch site after receiving the missile-test order on short notice "
    "and fired two “tactical guided” missiles that accurately struck a sea target, the report said."
)
KCNA = (
    "North Korea’s official Korean Central News Agency said on Friday’s exercise was aimed at checking "
    "the alert posture of its army’s rail-borne missile regiment. " + TROOPS
)
CHEONG = (
    "Cheong Seong-Chang, an analyst at the private Sejong Institute in South Korea, said the North likely "
    "staged a launch that hadn’t been previously planned to demonstrate its opposition toward US sanctions."
)
EXPERTS = (
    "Some experts say North Korean leader Kim Jong Un is going back to a tried-and-true technique of "
    "pressuring the United States and neighbors with missile launches and outrageous threats before "
    "offering negotiations meant to extract concessions."
)
ISKANDER = (
    "First tested in 2019, the missile is designed to be maneuverable and fly at low altitudes, which "
    "potentially improve their chances of evading and defeating missile systems."
)
ARTICLE = "\n\n".join([REPORT, LAUNCH, EXPERTS, KCNA, CHEONG, ISKANDER])


@pytest.fixture(scope="module")
def article() -> SourceText:
    return SourceText(ARTICLE)


def codes(result: QuoteResult) -> list[str]:
    return [code for code, _ in result.warnings]


def test_exact_sentence_is_verified(article: SourceText) -> None:
    result = article.verify(CHEONG)
    assert result == QuoteResult(True)


def test_source_text_is_reused_for_many_quotes(article: SourceText) -> None:
    assert all(article.verify(q).verified for q in [REPORT, LAUNCH, EXPERTS, TROOPS, ISKANDER])


def test_straight_quotes_match_curly_quotes(article: SourceText) -> None:
    quote = 'warned of stronger and more explicit action if Washington maintains its "confrontational stance."'
    assert article.verify(quote).verified
    assert article.verify('fired two "tactical guided" missiles that accurately struck').verified


def test_curly_quotes_match_straight_quotes_in_the_source() -> None:
    source = 'Washington maintains its "confrontational stance." The North\'s reply'
    assert verify_quote("Washington maintains its “confrontational stance.” The North’s reply", source).verified


def test_apostrophes_are_interchangeable(article: SourceText) -> None:
    assert article.verify("a day after South Korea's military said it detected the North firing").verified
    assert article.verify("a launch that hadn`t been previously planned").verified


def test_nested_quotation_marks_may_be_single(article: SourceText) -> None:
    # Quoting a quote turns its double marks into single ones.
    assert article.verify("and fired two 'tactical guided' missiles").verified


def test_marks_around_the_whole_quote_are_ignored(article: SourceText) -> None:
    assert article.verify("“The report by the North state media came a day after”").verified
    assert article.verify("'the missile is designed to be maneuverable'").verified


def test_whitespace_and_newlines_collapse(article: SourceText) -> None:
    quote = "the North likely\n  staged a launch\tthat hadn’t been   previously planned"
    assert article.verify(quote).verified
    wrapped = SourceText(CHEONG.replace(" launch ", "\nlaunch\r\n ").replace("toward", "toward\u00a0"))
    assert wrapped.verify(CHEONG).verified


def test_dashes_are_interchangeable(article: SourceText) -> None:
    assert article.verify("going back to a tried—and–true technique of pressuring").verified
    assert article.verify("its army’s rail − borne missile regiment").verified
    assert normalise("tried — and -- true") == normalise("tried-and-true")


@pytest.mark.parametrize("mark", ["...", "…", ". . .", "[...]", "[…]"])
def test_omission_with_pieces_in_order(article: SourceText, mark: str) -> None:
    quote = f"The troops swiftly moved to the launch site {mark} and fired two “tactical guided” missiles"
    result = article.verify(quote)
    assert result.verified
    assert result.warnings == ()


def test_omission_at_either_end_is_allowed(article: SourceText) -> None:
    assert article.verify("… fired two “tactical guided” missiles that accurately struck a sea target …").verified


def test_omission_with_pieces_out_of_order_fails(article: SourceText) -> None:
    result = article.verify("fired two “tactical guided” missiles … The troops swiftly moved to the launch site")
    assert not result.verified
    assert "order" in result.difference


def test_omission_of_a_missing_piece_fails(article: SourceText) -> None:
    result = article.verify("The troops swiftly moved to the launch site … and fired three ballistic missiles")
    assert not result.verified
    assert "fired two" in result.closest


def test_negation_in_omitted_text_warns(article: SourceText) -> None:
    result = article.verify("said the North likely staged a launch … previously planned to demonstrate its opposition")
    assert result.verified
    assert codes(result) == ["omission-negation"]
    assert "hadn't" in result.warnings[0][1]
    assert "hadn’t been" in result.warnings[0][1]  # shown as the source wrote it


def test_omission_is_judged_on_the_tightest_span() -> None:
    # Read from the first "the North", the omission would hold "not"; the nearer one leaves out "said it".
    source = "Officials said the North would not comment. On Friday the North said it fired two missiles."
    result = verify_quote("the North … fired two missiles", source)
    assert result.verified
    assert result.warnings == ()


def test_bracket_replaces_words(article: SourceText) -> None:
    assert article.verify("[North Korea] fired two “tactical guided” missiles that accurately struck a sea target").verified
    assert article.verify("The troops [quickly] moved to the launch site after receiving the missile-test order").verified


def test_bracket_may_replace_nothing(article: SourceText) -> None:
    assert article.verify("said the North likely staged a [missile] launch that hadn’t been previously planned").verified


def test_bracket_cannot_stand_for_a_long_passage(article: SourceText) -> None:
    # Fifteen words lie between "The troops" and "fired two": that needs an ellipsis, not a bracket.
    assert not article.verify("The troops [rapidly] fired two “tactical guided” missiles").verified
    assert article.verify("The troops ... fired two “tactical guided” missiles").verified


def test_bracket_must_not_split_a_word(article: SourceText) -> None:
    # Without the boundary, "launc" + "h that" would pass as a one-word insertion.
    assert not article.verify("the North likely staged a launc [x] hadn’t been previously planned").verified
    assert article.verify("the North likely staged a launch [x] hadn’t been previously planned").verified


def test_bracketed_capital_letter_changes_case(article: SourceText) -> None:
    assert article.verify("[T]he missile is designed to be maneuverable and fly at low altitudes").verified
    assert article.verify("[t]he report by the North state media came a day after").verified
    assert not article.verify("[W]he missile is designed to be maneuverable").verified
    assert not article.verify("The missile is designed to be maneuverable").verified  # case still matters


def test_one_changed_word_is_a_misquote_with_the_closest_passage(article: SourceText) -> None:
    result = article.verify(TROOPS.replace("fired two", "fired three"))
    assert not result.verified
    assert TROOPS in result.closest
    assert "'three'" in result.difference and "'two'" in result.difference


def test_closest_passage_is_original_text_about_the_quote_length(article: SourceText) -> None:
    result = article.verify("fired two 'tactical guided' missiles that accurately struck a land target")
    assert not result.verified
    assert result.closest.startswith("fired two “tactical guided” missiles")
    assert len(result.closest.split()) <= 16


def test_partial_word_is_not_a_match(article: SourceText) -> None:
    result = article.verify("ired two “tactical guided” missiles")
    assert not result.verified
    assert result.closest.startswith("fired")


def test_short_quote_warns(article: SourceText) -> None:
    result = article.verify("“tactical guided”")
    assert result.verified
    assert codes(result) == ["short-quote"]
    assert "2 words" in result.warnings[0][1]
    assert codes(article.verify("[T]he missile is")) == ["short-quote"]
    assert codes(article.verify("the North likely staged")) == []


def test_short_quote_counts_words_without_brackets_and_ellipses(article: SourceText) -> None:
    assert codes(article.verify("[North Korea] fired two … missiles")) == ["short-quote"]


def test_empty_source_is_not_verified() -> None:
    result = verify_quote("fired two “tactical guided” missiles", "")
    assert result == QuoteResult(False, "", (), "the source has no text")
    assert not verify_quote("fired two missiles at sea", " \n ").verified


def test_empty_quote_is_not_verified(article: SourceText) -> None:
    assert not article.verify("“ … ”").verified


def test_nfkc_ligatures_and_full_width_letters() -> None:
    source = "The troops ﬁred two missiles, the ＫＣＮＡ report said."
    assert verify_quote("The troops fired two missiles", source).verified
    assert verify_quote("the KCNA report said", source).verified
    assert verify_quote("the ＫＣＮＡ report said", "the KCNA report said so").verified


def test_combining_accents_match_precomposed() -> None:
    assert verify_quote("the cafe\u0301 was closed", "She said the caf\u00e9 was closed.").verified


def test_closest_passage_keeps_the_original_characters() -> None:
    source = "Intro text here.\nThe troops ﬁred two “tactical   guided” missiles at the café today."
    result = verify_quote("The troops fired three 'tactical guided' missiles at the cafe\u0301", source)
    assert not result.verified
    assert result.closest == "The troops ﬁred two “tactical guided” missiles at the café"


@pytest.mark.parametrize(
    "text",
    [
        ARTICLE,
        "",
        "  \n leading and trailing \t ",
        "a — b -- c ‒ d - e",
        "-start and end-",
        "ﬁ ligature, “quotes”, ＦＵＬＬ ｗｉｄｔｈ, café, cafe\u0301, soft\u00adhyphen, zero\u200bwidth",
        "Hangul \u1100\u1161\u11a8 and \uac00, Oriya \u0b47\u0b3e, decimals ½ and …",
        "e\u0301\u0323 x\u0323\u0301 ﬀ\u0301",
    ],
)
def test_mapped_normalisation_agrees_with_normalise(text: str) -> None:
    norm, starts, ends = _normalise_mapped(text)
    assert norm == normalise(text)
    assert len(starts) == len(ends) == len(norm)
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))


def test_misquote_in_a_large_source_stays_fast() -> None:
    source = SourceText("\n\n".join([ARTICLE] * 40))  # about 100 KB
    begun = time.perf_counter()
    result = source.verify(TROOPS.replace("sea target", "land target"))
    assert time.perf_counter() - begun < 2.0
    assert not result.verified
    assert "sea target" in result.closest


PIECES = list("ab -—‐'’“\"…. \n\t\u00a0\u00adﬁé\u0301\u0323ＡΩ\u1100\u1161") + ["e\u0301", "\u0b47\u0b3e"]


@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_mapped_normalisation_agrees_on_any_text(text: str) -> None:
    norm, starts, ends = _normalise_mapped(text)
    assert norm == normalise(text)
    assert len(starts) == len(ends) == len(norm)


@given(st.integers(0, 200), st.integers(4, 30))
def test_any_run_of_source_words_is_verified(article: SourceText, first: int, length: int) -> None:
    words = ARTICLE.split()
    quote = " ".join(words[first:first + length])
    assert article.verify(quote).verified
