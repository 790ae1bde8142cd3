"""PINCER's dm+d lists matched to BNF presentations (pipelines/bnf/pincer.py), checked on terms looked up by
hand in the published CSVs and in NHSBSA's 2024 list."""

import pytest

from pipelines.bnf import pincer


@pytest.mark.parametrize(
    "name, term, code",
    [
        ("ppi", "Pepcidtwo chewable tablets (McNeil Products Ltd)", "010102100BBAKA0"),  # a brand that names nothing
        (
            "nsaid",
            "Voltarol 75mg SR tablets (Novartis Pharmaceuticals UK Ltd)",
            "1001010C0BBAHAL",
        ),  # looked up with unzip | grep
        ("anticoag", "Apixaban 5mg tablets", "0208020Z0AAABAB"),
    ],
)
def test_a_term_matches_its_presentation(name, term, code):
    assert term in pincer.concepts(name).values()
    assert code in pincer.bnf_presentations(name), sorted(pincer.matched(name).get(term, []))


def test_names_are_compared_without_supplier_and_with_one_word_for_oral_liquids():
    assert pincer.normalised("Diclofenac 25mg/5ml oral suspension (Special Order)") == "diclofenac 25mg/5ml oral liquid"
    assert pincer.normalised("Amias 16mg tablets (Lexon (UK) Ltd)") == "amias 16mg tablets"


def test_a_brand_follows_its_generic_and_abstract_concepts_match_nothing():
    assert "0208020Z0BBABAB" in pincer.bnf_presentations("anticoag")  # Eliquis 5mg, by its generic
    assert "Apixaban in oral dosage form" not in pincer.matched("anticoag")


def test_every_list_carries_its_opencodelists_version():
    for name in ("nsaid", "ppi", "anticoag", "antiplat", "acei", "diur"):
        assert pincer.version(name).startswith(f"pincer/{name}/")
        assert len(pincer.ids(name)) == len(pincer.concepts(name)) > 100
