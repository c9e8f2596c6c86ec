import datetime

from cep.enrolments.services import auto_close, close_cep, move_to_phase3, reopen_cep
from cep.enrolments.workflow import Status


def test_lifecycle_smoke(open_cep, counselor, cep_refs):
    cep = open_cep()
    cep = move_to_phase3(cep=cep, on=cep.entry_date + datetime.timedelta(days=10), actor=counselor)
    assert cep.status == Status.PHASE3
    cep = close_cep(
        cep=cep,
        actor=counselor,
        end_date=datetime.date.today(),
        exit_reason=cep_refs["plan"],
        project_type=cep_refs["project"],
    )
    assert cep.status == Status.CLOSED
    cep = reopen_cep(cep=cep, actor=counselor)
    assert cep.status == Status.PHASE3
    assert auto_close() == 0
