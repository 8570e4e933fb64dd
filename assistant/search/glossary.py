"""English -> French evaluation vocabulary, for English questions on French reports.

The embedding model knows English only and BM25 matches words, so "How did the
project score on sustainability?" finds nothing of "En matière de durabilité
(66,7 %) ...". Evaluation reports share a small vocabulary (the OECD/DAC
criteria, the parts of a report, the words of development work), and its
French equivalents are added to the lexical query for French passages (see
`translated_tokens`). General terms only, not taken from the dev
questions' answers.
"""

from __future__ import annotations

from functools import lru_cache

from assistant.index.tokens import doc_tokens, fold, query_tokens, raw_tokens, stemmer

__all__ = ["EN_FR", "french_forms", "translated_tokens"]

# english word: its French renderings (accents optional: both sides are folded)
_PAIRS = """
evaluation: évaluation
evaluations: évaluations
evaluator: évaluateur évaluatrice
evaluators: évaluateurs
assessment: évaluation appréciation
assess: évaluer apprécier
criterion: critère
criteria: critères
relevance: pertinence
relevant: pertinent pertinente
coherence: cohérence
coherent: cohérent
effectiveness: efficacité
effective: efficace
efficiency: efficience
efficient: efficient
impact: impact effets
impacts: impacts
sustainability: durabilité pérennité viabilité pérennisation
sustainable: durable pérenne viable
sustain: pérenniser maintenir
ownership: appropriation
design: conception
validity: validité
finding: constatation conclusion résultat
findings: constatations conclusions résultats
conclusion: conclusion
conclusions: conclusions
recommendation: recommandation
recommendations: recommandations
recommend: recommander
recommended: recommandé
lesson: leçon enseignement
lessons: leçons enseignements
learned: tirés appris
learning: apprentissage enseignements
practice: pratique
practices: pratiques
good: bonne bonnes
management: gestion direction
response: réponse
accepted: acceptée accepté
accept: accepter
partially: partiellement
rejected: rejetée rejeté
action: action
actions: actions
summary: résumé synthèse
executive: exécutif
background: contexte
context: contexte
methodology: méthodologie
method: méthode
methods: méthodes
scope: portée champ
purpose: but objectif
objective: objectif
objectives: objectifs
goal: objectif but
goals: objectifs
outcome: effet résultat
outcomes: effets résultats
output: produit
outputs: produits
result: résultat
results: résultats
indicator: indicateur
indicators: indicateurs
target: cible
targets: cibles
baseline: référence
achieved: atteint atteints réalisé
achievement: réalisation
achievements: réalisations résultats
progress: progrès avancées
challenge: défi
challenges: défis
constraint: contrainte
constraints: contraintes
limitation: limite limitation
limitations: limites
limited: limité limitée limite
weakness: faiblesse
weaknesses: faiblesses
strength: force
strengths: forces
risk: risque
risks: risques
obstacle: obstacle
obstacles: obstacles
barrier: obstacle
barriers: obstacles
lack: absence manque
absence: absence
gap: lacune écart
gaps: lacunes
delay: retard
delays: retards
success: succès réussite
successful: réussi
failure: échec
score: note score
rating: note notation
rated: noté
satisfactory: satisfaisant
project: projet
projects: projets
programme: programme
program: programme
initiative: initiative
intervention: intervention
activity: activité
activities: activités
implementation: mise oeuvre exécution
implement: mettre oeuvre
implemented: mis oeuvre
partner: partenaire
partners: partenaires
partnership: partenariat
stakeholder: partie prenante acteur
stakeholders: parties prenantes acteurs
actor: acteur
actors: acteurs
agency: agence
agencies: agences
government: gouvernement
governments: gouvernements
authorities: autorités
ministry: ministère
ministries: ministères
institution: institution
institutional: institutionnel
national: national nationale
local: local locale locaux
community: communauté communautaire
communities: communautés
civil: civile
society: société
organization: organisation
organizations: organisations
donor: donateur bailleur
donors: donateurs bailleurs
funding: financement
funded: financé
fund: fonds financer
funds: fonds
budget: budget
cost: coût
costs: coûts
resources: ressources
financial: financier financière
beneficiary: bénéficiaire
beneficiaries: bénéficiaires
population: population
people: personnes population
women: femmes
men: hommes
youth: jeunes jeunesse
young: jeunes
children: enfants
gender: genre
equality: égalité
human: humains
rights: droits
vulnerable: vulnérables vulnérable
inclusion: inclusion
inclusive: inclusive inclusif
migration: migration
migrant: migrant
migrants: migrants
returnees: rapatriés retournés
return: retour
reintegration: réintégration
displacement: déplacement
border: frontière frontalier frontalière
borders: frontières
cross: transfrontalier
dialogue: dialogue
peace: paix
peacebuilding: consolidation paix
conflict: conflit
conflicts: conflits
tension: tension
tensions: tensions
violence: violence
prevention: prévention
prevent: prévenir
early: précoce
warning: alerte
monitoring: suivi surveillance
monitor: suivre
reporting: rapportage
report: rapport
reports: rapports
coordination: coordination
cooperation: coopération
collaboration: collaboration
capacity: capacité
capacities: capacités
strengthening: renforcement
strengthen: renforcer
training: formation
trained: formés formé
awareness: sensibilisation
campaign: campagne
campaigns: campagnes
communication: communication
perception: perception
perceptions: perceptions
behaviour: comportement
change: changement
innovation: innovation
innovations: innovations
tools: outils
tool: outil
data: données
information: information
knowledge: connaissances
policy: politique
policies: politiques
strategy: stratégie
strategies: stratégies
plan: plan
mechanism: mécanisme
mechanisms: mécanismes
platform: plateforme
platforms: plateformes
network: réseau
networks: réseaux
support: appui soutien
services: services
economic: économique économiques
livelihoods: moyens subsistance
employment: emploi
health: santé
education: éducation
protection: protection
staff: personnel
team: équipe
teams: équipes
country: pays
countries: pays
region: région
regional: régional
month: mois
months: mois
year: année
years: ans années
phase: phase
duration: durée
timeline: calendrier
deadline: échéance
responsible: responsable
responsibility: responsabilité
accountability: redevabilité
transparency: transparence
participation: participation
engagement: engagement
commitment: engagement
continuity: continuité
exit: sortie
replication: réplication
scale: échelle
scaling: extension
added: ajoutée
value: valeur
quality: qualité
interviews: entretiens
interviewed: interrogés
survey: enquête
surveys: enquêtes
focus: focus
groups: groupes
consulted: consultés
"""



def _parse(pairs: str) -> dict[str, tuple[str, ...]]:
    return {en.strip(): tuple(fr.split()) for en, fr in (line.split(":", 1) for line in pairs.strip().splitlines())}


EN_FR: dict[str, tuple[str, ...]] = _parse(_PAIRS)


@lru_cache(maxsize=1)
def _translations() -> dict[str, tuple[str, ...]]:
    """English stem -> the French stems of its renderings."""
    en = stemmer("en").stemWord
    out: dict[str, list[str]] = {}
    for english, french in EN_FR.items():
        forms = out.setdefault(en(fold(english)), [])
        forms.extend(t for t in doc_tokens(" ".join(french), "fr") if t not in forms)
    return {k: tuple(v) for k, v in out.items()}


def french_forms(forms: frozenset[str]) -> frozenset[str]:
    """The French stems of an English word given as its stemmed forms (`tokens.query_terms`)."""
    table = _translations()
    return frozenset(f for form in forms for f in table.get(form, ()))


def translated_tokens(text: str) -> list[str]:
    """French stems of a query's English evaluation words, those it does not already search for.

    Every rendering counts ("sustainability": durabilité, pérennité, ...):
    a passage using several of them is the more about it.
    """
    en, table, own = stemmer("en").stemWord, _translations(), set(query_tokens(text))
    out = (f for t in raw_tokens(text) if t.isalpha() for f in table.get(en(t), ()) if f not in own)
    return list(dict.fromkeys(out))
