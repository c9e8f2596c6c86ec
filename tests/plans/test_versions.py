from cep.plans import services
from cep.plans.queries import compare_versions


def test_comparison_shows_exactly_the_changed_fields(plan, counselor):
    step = services.add_step(plan=plan, actor=counselor, title="Enquêtes métier", objective="Deux enquêtes")
    line = services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="1000")
    before = plan.versions.order_by("-number").first().number
    services.update_step(step=step, actor=counselor, objective="Trois enquêtes")
    services.update_financing_line(line=line, actor=counselor, amount="1200.50")
    after = plan.versions.order_by("-number").first().number
    _, _, changes = compare_versions(plan, after, before)
    assert [(c.section, c.field, c.before, c.after) for c in changes] == [
        ("Étapes", "Objectif intermédiaire", "Deux enquêtes", "Trois enquêtes"),
        ("Plan de financement", "Montant", "1\u202f000,00\xa0€", "1\u202f200,50\xa0€"),
    ]


def test_comparison_of_an_added_item_shows_its_filled_fields(plan, counselor):
    services.add_step(plan=plan, actor=counselor, title="Nouvelle étape")
    _, _, changes = compare_versions(plan, 1, 2)
    assert [(c.field, c.before, c.after) for c in changes] == [("Étape", "", "Nouvelle étape")]
