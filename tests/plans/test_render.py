"""Each template rendered from sample data (no database): PDF/UA-1 subset, identical bytes, text never markup."""

import datetime

import pytest

from cep.plans.documents.render import TEMPLATE_VERSIONS, render
from scripts.document_samples import SAMPLES
from tests.plans.pdfcheck import problems, text

ON = datetime.date(2026, 12, 7)


@pytest.mark.parametrize("kind", sorted(TEMPLATE_VERSIONS))
def test_every_template_is_pdf_ua_and_reproducible(kind):
    first = render(kind, SAMPLES[kind](), on=ON)
    assert problems(first) == []
    assert render(kind, SAMPLES[kind](), on=ON) == first
    words = text(first)
    for part in ("Mission locale de Paris", "Camille MARTIN", "Élise Besnard", "07/12/2026"):
        assert part in words


def test_another_day_changes_only_because_the_date_changed():
    data = SAMPLES["prise_de_recul"]()
    assert render("prise_de_recul", data, on=ON) != render("prise_de_recul", data, on=ON + datetime.timedelta(days=1))


def test_typed_text_is_shown_never_run_as_markup():
    data = {**SAMPLES["prise_de_recul"](), "discussed": '#panic("x") *gras* $x^2$ <label> @ref'}
    assert '#panic("x") *gras* $x^2$ <label> @ref' in text(render("prise_de_recul", data, on=ON))


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        render("attestation", {}, on=ON)


def test_the_checks_catch_an_untagged_pdf():
    import json

    import typst

    from cep.plans.documents.render import FONTS, TEMPLATES

    untagged = typst.compile(
        str(TEMPLATES / "prise_de_recul.typ"),
        root=str(TEMPLATES),
        font_paths=[str(FONTS)],
        ignore_system_fonts=True,
        sys_inputs={"data": json.dumps(SAMPLES["prise_de_recul"]())},
        pdf_tags=False,
    )
    found = " ".join(problems(untagged))
    assert "StructTreeRoot" in found and "tagged" in found
