"""Return files are parsed strictly: a line number in other scripts' digits or far too long is a French refusal."""

import pytest

from cep.common.errors import RuleViolation
from cep.reporting.exports.returns import parse_return_file


def test_return_file_lines_and_header_are_read():
    assert parse_return_file(b"ligne;code;message\n2;0000;ok\n3;E001;date\n") == [
        (2, "0000", "ok"),
        (3, "E001", "date"),
    ]


@pytest.mark.parametrize("number", ["²", "٣", "1" * 5000, "0", "-4", "9" * 20])
def test_return_file_with_a_malformed_line_number_is_refused_in_french(number):
    content = f"ligne;code;message\n{number};0000;ok\n".encode()
    with pytest.raises(RuleViolation) as refused:
        parse_return_file(content)
    assert refused.value.rule == "RETOUR" and "n'est pas un numéro de ligne" in refused.value.message
    assert len(refused.value.message) < 300  # the 5,000 digits are not echoed back
