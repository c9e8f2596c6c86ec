"""`make mutation` (bench/mutation.py): its mutants are valid Python, and every equivalent mutant it lists still
exists (an entry left behind by a change of the code would hide nothing and mislead the reader)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import mutation  # noqa: E402


@pytest.mark.parametrize("file", list(mutation.TARGETS))
def test_every_mutant_is_python_and_changes_its_file(file):
    source = (mutation.ROOT / file).read_text()
    mutants = mutation.collect(file)
    assert mutants
    keys = [m.key for m in mutants]
    assert len(keys) == len(set(keys)), "each mutant has its own key"
    for m in mutants:
        assert mutation.apply(source, m) != source, m.key  # apply() also parses the mutant


def test_every_equivalent_mutant_still_exists_and_is_explained():
    keys = {m.key for file in mutation.TARGETS for m in mutation.collect(file)}
    equivalents = mutation.load_equivalents()
    assert equivalents
    for key, reason in equivalents.items():
        assert key in keys, f"mutant équivalent introuvable (code modifié ?) : {key}"
        assert len(reason) > 40, key


def test_every_mapped_test_file_exists():
    for file, tests in mutation.TARGETS.items():
        assert (mutation.ROOT / file).is_file()
        for test in tests:
            assert (mutation.ROOT / test).is_file(), test


def test_a_flipped_bound_is_one_of_the_mutants():
    keys = {m.key for m in mutation.collect("cep/enrolments/services.py")}
    assert "cep/enrolments/services.py::entry_violations: entry_date > today → (entry_date >= today)" in keys
