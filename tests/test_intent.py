import pytest

from assistant.search.answer_types import (
    DATE,
    DURATION,
    EVALUATOR,
    FUNDER,
    GRADE,
    LEADER,
    MANAGER,
    MONEY,
    PARTIAL,
    PLACE,
    QUANTITY,
    REASON,
    REJECTED,
    RESPONDENT,
    STANCE,
    answer_pattern,
)
from assistant.search.counting import CountOf
from assistant.search.intent import document_kinds, list_intent, section_types


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
        ("How did IOM Niger management respond to the call for counselling?", {"management_response"}),
        # the evaluation asking someone to act is recommending
        ("What did the evaluation ask national authorities to do about communication?",
         {"recommendations", "management_response"}),
        ("Which questions did the evaluation ask?", set()),
        ("What were respondents asked about?", set()),
        ("Did IOM accept the point on women's protection status?", {"management_response"}),
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
        ("How did IOM respond to the Horn of Africa recommendations?", "management_response"),
    ],
)
def test_list_intent_needs_a_plural(question, kind):
    assert list_intent(question) == kind


@pytest.mark.parametrize(
    "question, pattern",
    [
        ("How many times was the budget revised?", QUANTITY),  # "times" is counted in numbers anywhere
        ("How much money did the JI-HoA start with?", MONEY),
        ("What was the budget of the ILO value chains programme?", MONEY),
        ("What was the Mali-Niger border project's funding?", MONEY),
        ("How long should IDEE loan repayments be deferred?", DURATION),
        ("How good is WFP's emergency preparedness policy?", GRADE),
        ("Why couldn't the evaluator visit Gao and Tillabéri?", REASON),
        ("Which countries did the ILO programme cover?", PLACE),
        ("Why did IOM reject the recommendation on virtual activities?", REJECTED),
        ("Which Haiti recommendation was only partially accepted?", PARTIAL),
        ("Did IOM fully accept the recommendation on working groups?", STANCE),
        ("What share of its indicators had the programme met?", QUANTITY),
        ("When was the policy approved?", DATE),
        ("From which month should teams start producing guides?", DATE),
        ("Who staffed the unit when the evaluation was carried out?", None),  # "when" mid-question: no date asked
        ("Who funded the MIRAA III project?", FUNDER),
        ("Who led the AAP evaluation?", LEADER),
        ("Qui a dirigé l'équipe d'évaluation du PSP Côte d'Ivoire ?", LEADER),
        ("Who evaluated the EU-IOM Horn of Africa initiative?", EVALUATOR),
        ("Who manages the Guatemala CSP evaluation?", MANAGER),
        ("Who filled in the management response matrix for the final evaluation?", RESPONDENT),
        ("Who should lead the reform?", None),  # not the evaluation's authors
        ("What did the evaluation conclude about monitoring?", None),
    ],
)
def test_answer_pattern_from_wording(question, pattern):
    assert answer_pattern(question) is pattern


@pytest.mark.parametrize(
    "role, sentence, credit",
    [
        (EVALUATOR, "developed by the evaluation team of PPMI Group, including: Loes van der Graaf", True),
        (EVALUATOR, "Évaluateur(s) : Célestin SIKUBE TAKAMGNO", True),
        (LEADER, "Melissa Andrade Costa (Lead eval.)", True),
        (LEADER, "Pierre Leguéné Chef d’équipe", True),
        (LEADER, "Team Leader – Katrina Rojas", True),
        (MANAGER, "La evaluación estará a cargo de Pernille Hougesen, Oficial de Evaluación", True),
        (RESPONDENT, "Person or entity responsible for completing the management response matrix: Laura BOUCSEIN", True),
        # a role with no name, a unit, the agency: no credit
        (LEADER, "the related initiatives led by a small but dedicated AAP unit in IOM Headquarters", False),
        (EVALUATOR, "The recommendations are prioritized based on the evaluation team’s assessment", False),
        (MANAGER, "Document commissioned by the IOM under the Joint Initiative in the Horn of Africa.", False),
        (EVALUATOR, "La evaluación será realizada por un equipo de consultores independientes", False),
        # another role's credit
        (LEADER, "Evaluation Manager – Serena Pepino, WFP Private Sector Partnerships", False),
        (LEADER, "this will depend on growth in the US market (led by WFP USA)", False),
        (LEADER, "The evaluation was led by Ana Silva", True),
        (EVALUATOR, "Name and function of the MR coordinator: Javier Sánchez, Monitoring and Evaluation Officer", False),
    ],
)
def test_a_credit_names_someone_in_the_role_asked(role, sentence, credit):
    assert role.search(sentence) is credit


@pytest.mark.parametrize(
    "sentence, quantity",
    [
        ("Interviews with 151 persons (69 female) were held.", True),
        ("12 out of 14 indicators are fully/mostly met (86%).", True),
        ("The initial budget of the programme was EUR 25 million.", True),
        ("It uncovered nearly 3,000 non-active staff positions.", True),
        ("The evaluation took place in 2023.", False),  # a year is a date, not a quantity
        ("Finding 3.1. The volume of AAP activity is increasing.", False),
        ("296 ILO (2021).", False),  # a footnote's number before a capital counts nothing
        ("16 This finding should be read in conjunction with Finding 3.5.", False),
    ],
)
def test_quantity_sentences(sentence, quantity):
    assert bool(QUANTITY.search(sentence)) is quantity


@pytest.mark.parametrize(
    "question, sentence, bound",
    [
        ("How many people were interviewed for the ILO evaluation?", "interviews with 151 persons (69 female)", True),
        ("How many people answered the survey?", "the distribution of the 214 survey respondents", True),
        ("How many staff does the AAP unit have?", "only one full-time staffer was dedicated to AAP", True),
        ("How many staff does the AAP unit have?", "IOM MEAL staff trained 121 working group partners", False),
        ("How many interviews did the evaluation use?", "Fifty two (52) Interviews with the main stakeholders", True),
        ("Combien d'entretiens pour l'évaluation ?", "Au total, quinze entretiens ont été réalisés", True),
        ("How many data requests did the hub answer?", "81 requests in 2023, up from 2021", True),
        ("How many data requests did the hub answer?", "The hub had 10 staff in 2024", False),
        # people under another name, an evaluation's acronyms, the noun before its number
        ("How many returnees did the project assist?", "assistance to 428 beneficiaries, with most receiving", True),
        ("How many interviews and pupils did it cover?", "A total of 68 KIIs, 25 FGDs and 611 schoolchildren", True),
        ("How many staff did the hub lose?", "a reduction in staffing from 10 in December 2024 to three", True),
        ("How many staff did the hub lose?", "staff in 2024 and 2025 were cut", False),
        ("How many women were interviewed?", "In total, 41 beneficiaries were interviewed", False),
        # notes' numbers run into the text
        ("How many stakeholders did the evaluators interview?", "157 JI-HoA Stakeholder Survey.", False),
        ("How many stakeholders were interviewed?", "Djibouti 153 Interviews with stakeholders from Djibouti", False),
        ("How many refugees were interviewed?", "interviews with 151 Syrian refugees in Gaziantep", True),
        # a share is no count, nor is a French stem that meets an English word by its start ("part")
        ("How many women joined the focus groups?", "with proper representation of women (30% of women)", False),
        ("How many stakeholders were interviewed?", "one MRC to education services, corroborated by interviews.403",
         False),
    ],
)
def test_a_count_is_bound_to_what_it_counts(question, sentence, bound):
    assert answer_pattern(question) is QUANTITY  # passages: any quantity; the answer's sentence: the bound count
    marker = answer_pattern(question, bound=True)
    assert isinstance(marker, CountOf)
    assert bool(marker.search(sentence)) is bound


@pytest.mark.parametrize(
    "question, kinds",
    [
        ("Was the budget system needed, according to the learning brief?", {"brief"}),
        ("What did management commit to on border tensions?", {"management response"}),
        ("What step did IOM commit to in its response to the evaluation?", {"management response"}),
        # the report's name alone ("final evaluation") yields to a named brief or response
        ("Who filled in the management response matrix for the final evaluation?", {"management response"}),
        ("Can it be fixed by aid alone, according to the final evaluation?", {"final"}),
        ("Que dit la réponse de la direction ?", {"management response"}),
        # the organisation answering, by its acronym
        ("Did IOM fully accept the recommendation on working group members?", {"management response"}),
        ("What did IOM commit to on monitoring after the final evaluation?", {"management response"}),
        ("How did IOM respond to the Horn of Africa recommendations?", {"management response"}),
        ("Which Haiti recommendation was only partially accepted?", {"management response"}),
        ("How did WFP respond to the floods in 2022?", set()),
        ("Did the ILO programme respond to COVID-19?", set()),
        ("What were the findings on sustainability?", set()),
        ("How brief were the interviews?", set()),
    ],
)
def test_document_kinds_from_wording(question, kinds):
    assert document_kinds(question) == kinds


def test_a_stance_is_what_a_response_says_of_a_recommendation():
    for said in ("Partially accepted. The initial phase of engagement has started.",
                 "This recommendation is rejected because, at this time, it is not possible to tell.",
                 "Recommandation acceptée : la direction mettra en place un comité.",
                 "Management response: Partially Accept"):
        assert STANCE.search(said), said
    for said in ("The evaluation recommended a gender strategy.", "IOM should accept more partners in future."):
        assert not STANCE.search(said), said


def test_spanish_and_french_sums_and_french_counts():
    assert MONEY.search("un presupuesto de 438,2 millones de dólares EE.UU")
    assert MONEY.search("un budget de 2,8 millions de dollars")
    assert MONEY.search("Total Confirmed Funding: (CAD$) 2,749,046")
    assert not MONEY.search("Annex (CSP) 2 lists the partners")
    assert not MONEY.search("Coût/bénéficiaire prévu et réalisé (USD) 2019 2020 2021")
    women = answer_pattern("How many women were among the professionals?", bound=True)
    assert women.search("128 professionnels de la santé résidant à l’étranger (dont 26 femmes)")


def test_a_duration_and_a_grade():
    assert DURATION.search("Les entrepreneurs souhaiteront avoir un différé d’au moins trois (3) mois")
    assert DURATION.search("it took on average 20 weeks for beneficiaries to receive their assistance")
    assert not DURATION.search("dans les trois (3) villes : Niamey, Tahoua et Zinder")
    assert GRADE.search("The emergency preparedness policy is of moderately good quality")
    assert GRADE.search("The project was found highly relevant to national priorities")
    assert not GRADE.search("This evaluation assesses WFP’s 2017 emergency preparedness policy")
    assert REASON.search("Security restrictions hindered the ability of the principal evaluator to travel")
    assert REASON.search("Cela est dû au mécanisme de financement des projets McGovern-Dole")
    assert not REASON.search("Geographical Coverage: Gao (Mali) & Tillabéri (Niger)")


def test_a_budget_line_is_a_sum_after_a_word_of_budget_or_funding():
    from assistant.search.answer_types import BUDGET_LINE

    assert BUDGET_LINE.search("Donateur : Peacebuilding Fund (PBF) Budget : USD 3 000 000")
    assert BUDGET_LINE.search("Total Confirmed Funding: (CAD$) 2,749,046")
    assert not BUDGET_LINE.search("The estimated cost per migrant is around 15.00 euro per day")
    assert not BUDGET_LINE.search("The budget was revised five times.")


def test_the_cost_of_an_evaluation_is_asked_apart_from_a_programmes_budget():
    from assistant.answer.abstention import missing_figure

    question = "How much did the KonTerra contract for the CSP evaluation cost WFP?"
    assert missing_figure(question, ["The third revision brought the budget to USD 126 million."])
    assert not missing_figure(question, ["The evaluation contract cost USD 45,000."])
    assert not missing_figure("How much did the project cost?", ["The project's budget was USD 3 million."])
