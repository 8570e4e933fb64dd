import pytest

from assistant.intent import list_intent, section_types


@pytest.mark.parametrize(
    "question, types",
    [
        ("What did the evaluators suggest regarding schooling for returnees?", {"recommendations", "management_response"}),
        ("What should the next project plan for women from the outset?", {"recommendations", "management_response"}),
        ("What lesson from IOM Türkiye concerns government buy-in?", {"lessons_learned"}),
        ("Quelles leçons tirer des campagnes de sensibilisation ?", {"lessons_learned"}),
        ("Which good practice on funding is highlighted?", {"good_practices"}),
        ("What did the evaluation conclude about monitoring?", {"conclusions"}),
        ("How many people were interviewed?", set()),
    ],
)
def test_section_types_from_wording(question, types):
    assert section_types(question) == types


@pytest.mark.parametrize(
    "question, kind",
    [
        ("What were the recommendations of the AAP evaluation?", "recommendations"),
        ("List the lessons learned on reintegration", "lessons_learned"),
        ("Quelles sont les bonnes pratiques ?", "good_practices"),
        ("What were the main conclusions?", "conclusions"),
        ("What lesson concerns government buy-in?", None),  # one lesson asked for: a short answer
    ],
)
def test_list_intent_needs_a_plural(question, kind):
    assert list_intent(question) == kind
